// One line per event on stderr, prefixed so the transcoder's lines stand out in `npm start`'s output.
const quiet = () => process.env.TRANSCODER_LOG === "silent";

function line(level: string, msg: string): string {
  return `[transcoder] ${new Date().toISOString()} ${level} ${msg}`;
}

export const log = {
  info(msg: string) {
    if (!quiet()) console.error(line("info", msg));
  },
  warn(msg: string) {
    if (!quiet()) console.error(line("warn", msg));
  },
  error(msg: string) {
    console.error(line("error", msg));
  },
};
