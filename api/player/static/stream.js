// Server-Sent Events read with fetch, so the request carries its bearer token (EventSource sends
// no headers). Shared by the player (a room's moves) and the presenter (/room/: the room's feed).

export class Refused extends Error {}

// Each event of the stream at `url` as { event, data, id } until the connection ends. Throws
// Refused when the server answers with an error (the caller stops), anything else when the
// connection drops (the caller reconnects). `opened` runs once the stream is accepted.
export async function* serverEvents(url, headers, opened = () => {}) {
  const response = await fetch(url, { headers: { ...headers, Accept: "text/event-stream" }, credentials: "omit", cache: "no-store" });
  if (!response.ok) throw new Refused(response.statusText);
  opened();
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r/g, "");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = "message", data = "", id = "";
      for (const line of block.split("\n")) {
        const [field, ...rest] = line.split(":");
        const value = rest.join(":").replace(/^ /, "");
        if (field === "event") event = value;
        else if (field === "data") data += value;
        else if (field === "id") id = value;
      }
      if (data) yield { event, data, id };
    }
  }
}
