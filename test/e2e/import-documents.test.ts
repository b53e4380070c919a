// How the importer reads the old system's documents (scripts/import/): both Extended JSON forms of
// mongoexport, the Go-made nulls, and the anomalies it resolves before anything reaches the edge.
import { describe, expect, test } from "vitest";
import { OldFilm, OldFilmRoute, isPhantomFilm } from "../../scripts/import/documents";
import { EjsonError, fromEjson, objectIdTime } from "../../scripts/import/ejson";
import { adFile, filmBody, routesByFilm, viewsByFilm } from "../../scripts/import/mapping";

const ID = "6f1c2e3a-8e7b-11ef-9c3a-0242ac120005";

describe("Extended JSON v2", () => {
  test("relaxed and canonical forms give the same values", () => {
    const relaxed = { n: 5, big: 3000000000, d: { $date: "2024-05-01T12:34:56.5Z" }, old: { $date: { $numberLong: "-62135596800000" } } };
    const canonical = {
      n: { $numberInt: "5" },
      big: { $numberLong: "3000000000" },
      d: { $date: { $numberLong: String(Date.UTC(2024, 4, 1, 12, 34, 56, 500)) } },
      old: { $date: { $numberLong: "-62135596800000" } },
    };
    expect(fromEjson(relaxed)).toEqual(fromEjson(canonical));
    expect(fromEjson(canonical)).toEqual({ n: 5, big: 3_000_000_000, d: Date.UTC(2024, 4, 1, 12, 34, 56, 500), old: -62_135_596_800_000 });
    expect(fromEjson({ $oid: "65F1C2E3A8E7B11EF9C3A024" })).toBe("65f1c2e3a8e7b11ef9c3a024");
    expect(fromEjson({ $date: "2024-05-01T00:00:00Z" })).toBe(Date.UTC(2024, 4, 1));
  });

  test("malformed wrappers are errors, not values", () => {
    expect(() => fromEjson({ $date: "yesterday" })).toThrow(EjsonError);
    expect(() => fromEjson({ $numberLong: "12x" })).toThrow(EjsonError);
    expect(() => fromEjson({ $numberLong: "99999999999999999999" })).toThrow(EjsonError);
    expect(() => fromEjson({ $oid: "xyz" })).toThrow(EjsonError);
  });

  test("an ObjectId carries its creation time", () => {
    expect(objectIdTime("65f1c2e3a8e7b11ef9c3a024")).toBe(0x65f1c2e3 * 1000);
  });
});

describe("old documents", () => {
  const film = {
    _id: "65f1c2e3a8e7b11ef9c3a024",
    id: ID.toUpperCase(),
    title: " T ",
    type: "HOME",
    category: "ALL_CATEGORY",
    location: "ALL_LOCATION",
    language: "",
    release_year: 0,
    state: "",
    popularity: 2,
    introduction: "a\nb",
    actors: null,
    directors: ["D", " "],
    update_at: 2,
    created_at: 1,
  };

  test("Go's null lists are empty, ids lower-cased, the 'any' enum values kept", () => {
    const f = OldFilm.parse(film);
    expect(f).toMatchObject({ id: ID, actors: [], directors: ["D"], type: "HOME" });
    expect(filmBody(f, new Map([["2024-05-01", 5]]))).toMatchObject({ title: "T", totalViews: 5, views: [{ day: "2024-05-01", views: 5 }] });
  });

  test("phantom films are recognised; a real film is not", () => {
    expect(isPhantomFilm({ _id: "x", id: ID, popularity: 3 })).toBe(true);
    expect(isPhantomFilm({ _id: "x", popularity: 3, id: ID })).toBe(true);
    expect(isPhantomFilm(film)).toBe(false);
  });

  test("split routes merge, duplicate days sum", () => {
    const routes = routesByFilm([
      OldFilmRoute.parse({ id: ID, route: "line1", episodes: ["1", "第2集"] }),
      OldFilmRoute.parse({ route: "line1", id: ID, episodes: ["第2集", "3"] }),
      OldFilmRoute.parse({ id: ID, route: "line2", episodes: null }),
    ]);
    expect([...routes.get(ID)!]).toEqual([
      ["line1", ["1", "第2集", "3"]],
      ["line2", []],
    ]);
    const day = Date.UTC(2024, 4, 1);
    const views = viewsByFilm([
      { id: ID, created_at: day, popularity: 3 },
      { id: ID, created_at: day, popularity: 2 },
      { id: ID, created_at: day - 86_400_000, popularity: 1 },
    ]);
    expect([...views.get(ID)!]).toEqual([
      ["2024-05-01", 5],
      ["2024-04-30", 1],
    ]);
  });

  test("route names that cannot be names are refused with their document", () => {
    expect(OldFilmRoute.safeParse({ id: ID, route: "../etc", episodes: [] }).success).toBe(false);
    // An odd episode name fails alone, when its episode is imported, not with the whole document.
    expect(OldFilmRoute.safeParse({ id: ID, route: "line1", episodes: ["a/b", "1"] }).success).toBe(true);
  });

  test("ad files name the ad and say what it is", () => {
    expect(adFile(`${ID}-original-file.PNG`)).toEqual({ id: ID, kind: "image" });
    expect(adFile(`${ID}-original-file`)).toEqual({ id: ID, kind: "image" });
    expect(adFile(`${ID}.m3u8`)).toEqual({ id: ID, kind: "hls" });
    expect(adFile(`../${ID}.m3u8`)).toBeNull();
    expect(adFile("logo.png")).toBeNull();
  });
});
