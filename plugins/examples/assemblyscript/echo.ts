// A Terrarium node in AssemblyScript: Maelstrom's echo server, written
// against guest ABI v1 (docs/ABI.md) with no SDK.
//
//   request  {"src":"c0","dest":"n1","body":{"type":"echo","msg_id":7,"echo":"hi"}}
//   reply    {"src":"n1","dest":"c0","body":{"type":"echo_ok","in_reply_to":7,"echo":"hi"}}
//
// A request of type "boom" throws: AssemblyScript calls env.abort, which
// the host accepts, and the node crashes with the message, file, line and
// column. Build: npx asc echo.ts -o echo.wasm --runtime incremental
// --optimize (make examples does it).

@external("terrarium", "send")
declare function hostSend(to: i32, ptr: usize, len: i32): i32;

@external("terrarium", "log")
declare function hostLog(level: i32, ptr: usize, len: i32): void;

// The ABI's marker export.
export function terrarium_abi_v1(): void {}

// alloc keeps the buffer it hands out reachable until the next call, so the
// garbage collector cannot free it while the host writes into it.
let inbox = new ArrayBuffer(0);

export function alloc(size: i32): usize {
  inbox = new ArrayBuffer(size);
  return changetype<usize>(inbox);
}

function log(level: i32, line: string): void {
  const b = String.UTF8.encode(line);
  hostLog(level, changetype<usize>(b), b.byteLength);
}

let me = "";

export function on_init(ptr: usize, len: i32): void {
  const doc = String.UTF8.decodeUnsafe(ptr, len);
  me = stringField(doc, "node");
  log(1, "assemblyscript echo node " + me + " ready");
}

// stringField returns the string value of "key" in a flat JSON text ("" if
// absent). Escapes are kept as they are: the value goes back out verbatim.
function stringField(text: string, key: string): string {
  const at = text.indexOf('"' + key + '":"');
  if (at < 0) return "";
  const start = at + key.length + 4;
  let i = start;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c == 0x5c) i += 2;
    else if (c == 0x22) return text.substring(start, i);
    else i++;
  }
  return "";
}

// rawField returns the raw JSON value of "key": a string with its quotes,
// or a scalar up to the next , or } ("" if absent).
function rawField(text: string, key: string): string {
  const at = text.indexOf('"' + key + '":');
  if (at < 0) return "";
  const start = at + key.length + 3;
  if (start < text.length && text.charCodeAt(start) == 0x22) {
    return '"' + stringField(text, key) + '"';
  }
  let i = start;
  while (i < text.length && text.charCodeAt(i) != 0x2c && text.charCodeAt(i) != 0x7d) i++;
  return text.substring(start, i);
}

export function on_message(from: i32, ptr: usize, len: i32): void {
  const msg = String.UTF8.decodeUnsafe(ptr, len);
  const src = stringField(msg, "src");
  const dest = stringField(msg, "dest");
  const bodyAt = msg.indexOf('"body":');
  if (bodyAt < 0) return;
  const body = msg.substring(bodyAt + 7);
  const type = stringField(body, "type");
  const msgId = rawField(body, "msg_id");
  if (type == "boom") throw new Error("boom requested by " + src);
  if (msgId == "") return; // nothing to reply to
  let reply: string;
  if (type == "echo") {
    reply = '{"type":"echo_ok","in_reply_to":' + msgId + ',"echo":' + rawField(body, "echo") + "}";
  } else {
    reply = '{"type":"error","code":10,"text":"unsupported type","in_reply_to":' + msgId + "}";
  }
  const env = String.UTF8.encode('{"src":"' + dest + '","dest":"' + src + '","body":' + reply + "}");
  // Reply to the host's sender index, never to what the envelope claims.
  hostSend(from, changetype<usize>(env), env.byteLength);
}
