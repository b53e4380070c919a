import { z } from "zod";

/** What the film detail route sends to the views queue per view: the film, the UTC day, the viewer's mark. */
export const ViewMessage = z.object({
  filmId: z.uuid(),
  day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  mark: z.string().min(8).max(64),
});
export type ViewMessage = z.infer<typeof ViewMessage>;

export const VIEWS_QUEUE = "film-views";
