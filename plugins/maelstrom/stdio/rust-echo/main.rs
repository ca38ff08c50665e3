// A Maelstrom echo node in Rust with only the standard library: it reads
// envelopes on stdin with Rust's ordinary blocking reads, answers on stdout
// and logs on stderr. Terrarium runs it as a command guest
// (docs/ABI.md, "Command guests"). Build:
//
//     rustc --target wasm32-wasip1 -O -o echo.wasm main.rs
//
// (wasm32-wasi on Rust before 1.78, such as Debian 12's rustc 1.63 with
// libstd-rust-dev-wasm32 and lld-14), then
// `terrarium test -w echo --bin echo.wasm`.
use std::io::{self, BufRead, Write};

// field returns the raw JSON value after "key": in s (a string with its
// quotes, a number, or an object), good enough for Maelstrom's bodies.
fn field<'a>(s: &'a str, key: &str) -> Option<&'a str> {
    let pat = format!("\"{}\":", key);
    let start = s.find(&pat)? + pat.len();
    let rest = &s[start..];
    let bytes = rest.as_bytes();
    let end = match bytes[0] {
        b'"' => 1 + rest[1..].find('"')? + 1,
        b'{' => {
            let mut depth = 0;
            let mut i = 0;
            loop {
                match bytes[i] {
                    b'{' => depth += 1,
                    b'}' => { depth -= 1; if depth == 0 { break i + 1; } }
                    _ => {}
                }
                i += 1;
            }
        }
        _ => rest.find(|c: char| c == ',' || c == '}').unwrap_or(rest.len()),
    };
    Some(&rest[..end])
}

fn main() {
    let stdin = io::stdin();
    let mut out = io::stdout();
    let mut me = String::from("\"\"");
    let mut next = 0;
    for line in stdin.lock().lines() {
        let line = line.expect("stdin");
        let src = field(&line, "src").unwrap_or("\"\"");
        let body = field(&line, "body").unwrap_or("{}");
        let typ = field(body, "type").unwrap_or("\"\"");
        let id = field(body, "msg_id").unwrap_or("0");
        next += 1;
        let reply = match typ {
            "\"init\"" => {
                me = field(body, "node_id").unwrap_or("\"\"").to_string();
                eprintln!("rust node {} up", me);
                format!("{{\"type\":\"init_ok\",\"in_reply_to\":{},\"msg_id\":{}}}", id, next)
            }
            "\"echo\"" => format!("{{\"type\":\"echo_ok\",\"echo\":{},\"in_reply_to\":{},\"msg_id\":{}}}",
                field(body, "echo").unwrap_or("null"), id, next),
            _ => format!("{{\"type\":\"error\",\"code\":10,\"in_reply_to\":{}}}", id),
        };
        writeln!(out, "{{\"src\":{},\"dest\":{},\"body\":{}}}", me, src, reply).expect("stdout");
        out.flush().expect("flush");
    }
}
