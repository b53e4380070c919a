// VAST and VMAP documents as third-party ad servers send them, for the parser tests and the fake ad server.

export interface InlineSpec {
  id?: string;
  sequence?: number;
  mediaUrl: string;
  duration?: string;
  /** Base of every beacon URL of this ad (`${beacons}/imp`, `${beacons}/start`…). */
  beacons?: string;
  version?: string;
}

const events = ["start", "firstQuartile", "midpoint", "thirdQuartile", "complete"];

export function inlineAd(a: InlineSpec): string {
  const b = a.beacons;
  return `<Ad id="${a.id ?? "ad-1"}"${a.sequence !== undefined ? ` sequence="${a.sequence}"` : ""}>
    <InLine>
      <AdSystem version="1">Fake</AdSystem>
      <AdTitle>t</AdTitle>
      ${b ? `<Impression id="i"><![CDATA[${b}/imp?cb=[CACHEBUSTING]]]></Impression>` : ""}
      ${b ? `<Error><![CDATA[${b}/error?code=[ERRORCODE]]]></Error>` : ""}
      <Creatives>
        <Creative id="c1" sequence="1">
          <Linear>
            <Duration>${a.duration ?? "00:00:04"}</Duration>
            <TrackingEvents>
              ${b ? events.map((e) => `<Tracking event="${e}"><![CDATA[${b}/${e}]]></Tracking>`).join("\n") : ""}
              <Tracking event="pause"><![CDATA[https://ignored.example/pause]]></Tracking>
            </TrackingEvents>
            <MediaFiles>
              <MediaFile delivery="streaming" type="application/x-mpegURL" width="1280" height="720"><![CDATA[https://cdn.example/ad.m3u8]]></MediaFile>
              <MediaFile delivery="progressive" type="video/mp4" width="640" height="360" bitrate="700"><![CDATA[${a.mediaUrl}]]></MediaFile>
            </MediaFiles>
          </Linear>
        </Creative>
      </Creatives>
    </InLine>
  </Ad>`;
}

export function vast(ads: string[], version = "4.2", rootError?: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<VAST version="${version}" xmlns="http://www.iab.com/VAST">${rootError ? `<Error><![CDATA[${rootError}]]></Error>` : ""}${ads.join("\n")}</VAST>`;
}

export function wrapperAd(adTagUri: string, beacons?: string): string {
  return `<Ad id="w"><Wrapper followAdditionalWrappers="true">
    <AdSystem>Wrap</AdSystem>
    <VASTAdTagURI><![CDATA[${adTagUri}]]></VASTAdTagURI>
    ${beacons ? `<Impression><![CDATA[${beacons}/imp]]></Impression><Error><![CDATA[${beacons}/error?code=[ERRORCODE]]]></Error>` : ""}
    <Creatives><Creative><Linear><TrackingEvents>
      ${beacons ? `<Tracking event="start"><![CDATA[${beacons}/start]]></Tracking><Tracking event="complete"><![CDATA[${beacons}/complete]]></Tracking>` : ""}
    </TrackingEvents></Linear></Creative></Creatives>
  </Wrapper></Ad>`;
}

export interface VmapBreakSpec {
  offset: string;
  /** Embedded VAST text, or an AdTagURI. */
  vast?: string;
  uri?: string;
}

export function vmap(breaks: VmapBreakSpec[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<vmap:VMAP xmlns:vmap="http://www.iab.net/videosuite/vmap" version="1.0">
${breaks
  .map(
    (b, i) => `<vmap:AdBreak timeOffset="${b.offset}" breakType="linear" breakId="b${i}">
  <vmap:AdSource id="s${i}" allowMultipleAds="true" followRedirects="true">
    ${b.vast !== undefined ? `<vmap:VASTAdData>${b.vast.replace(/<\?xml[^>]*\?>/, "")}</vmap:VASTAdData>` : `<vmap:AdTagURI templateType="vast3"><![CDATA[${b.uri}]]></vmap:AdTagURI>`}
  </vmap:AdSource>
</vmap:AdBreak>`,
  )
  .join("\n")}
</vmap:VMAP>`;
}
