// Build: rustc --target wasm32-unknown-unknown --crate-type cdylib -O -o saga.wasm plugins/zoo/saga/main.rs
// (plugins/zoo/zoo_test.go and measure.sh build it; any of wasm32-wasip1,
// wasm32-wasi or wasm32-unknown-unknown works, the guest imports no WASI.)
//
// A bug-zoo guest (plugins/zoo) in Rust, on the raw guest ABI v1 (no SDK):
// a one-step saga. The orchestrator asks the participant to debit an
// account and arms a deadline one round trip ahead; at the deadline a saga
// still unconfirmed is compensated (a refund). A reply at the deadline
// instant is taken as in time ("now <= deadline") and starts the
// confirmation, but the deadline handler compensates every saga that is
// not yet committed, so when the reply is handled first at that instant
// the compensation races the forward step's confirmation: the saga ends
// both committed and aborted, its debit refunded. A reply after the
// deadline is ignored (the refund covers it), so over a network whose
// latency is at least half the deadline only that tie shows the bug, and
// a jittery latency never makes it.
//
// Roles: orchestrator (params {"participant": NAME, "deadline_ms": 2,
// "amount": 10}) and participant. Events: the orchestrator emits outcome
// {outcome} ("committed" or "aborted"), the participant debit {v} and
// refund {v}: what zoo-saga judges.

use std::cell::RefCell;

#[link(wasm_import_module = "terrarium")]
extern "C" {
    fn send(to: i32, ptr: *const u8, len: i32) -> i32;
    fn timer_set(delay_ns: i64) -> i64;
    fn now() -> i64;
    fn emit(kptr: *const u8, klen: i32, ptr: *const u8, len: i32);
    fn node_index(ptr: *const u8, len: i32) -> i32;
}

#[derive(Clone, Copy, PartialEq)]
enum Saga {
    Pending,
    Confirming,
    Committed,
    Aborted,
}

struct State {
    participant: i32,
    amount: i64,
    deadline: i64,
    saga: Saga,
    buf: Vec<u8>,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State {
        participant: -1, amount: 0, deadline: 0, saga: Saga::Pending, buf: Vec::new(),
    });
}

fn put(to: i32, msg: &str) {
    unsafe { send(to, msg.as_ptr(), msg.len() as i32) };
}

fn event(key: &str, value: &str) {
    unsafe { emit(key.as_ptr(), key.len() as i32, value.as_ptr(), value.len() as i32) };
}

/// The text after `"key":` in a JSON document, blanks skipped; enough for
/// the flat documents this guest reads (the init document, its messages).
fn field<'a>(doc: &'a str, key: &str) -> Option<&'a str> {
    let pat = format!("\"{}\":", key);
    doc.find(&pat).map(|i| doc[i + pat.len()..].trim_start())
}

fn string_field(doc: &str, key: &str) -> Option<String> {
    let rest = field(doc, key)?.strip_prefix('"')?;
    rest.find('"').map(|end| rest[..end].to_string())
}

fn int_field(doc: &str, key: &str, default: i64) -> i64 {
    let rest = match field(doc, key) {
        Some(r) => r,
        None => return default,
    };
    let end = rest.find(|c: char| !c.is_ascii_digit() && c != '-').unwrap_or(rest.len());
    rest[..end].parse().unwrap_or(default)
}

fn read(ptr: *const u8, len: i32) -> String {
    let bytes = unsafe { std::slice::from_raw_parts(ptr, len as usize) };
    String::from_utf8_lossy(bytes).into_owned()
}

#[no_mangle]
pub extern "C" fn terrarium_abi_v1() {}

#[no_mangle]
pub extern "C" fn alloc(size: i32) -> *mut u8 {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        s.buf.resize(size.max(1) as usize, 0);
        s.buf.as_mut_ptr()
    })
}

#[no_mangle]
pub extern "C" fn on_init(ptr: *const u8, len: i32) {
    let doc = read(ptr, len);
    if string_field(&doc, "role").as_deref() != Some("orchestrator") {
        return;
    }
    let params = field(&doc, "params").unwrap_or("{}");
    let name = string_field(params, "participant").unwrap_or_default();
    let deadline = int_field(params, "deadline_ms", 2) * 1_000_000;
    let amount = int_field(params, "amount", 10);
    let to = unsafe { node_index(name.as_ptr(), name.len() as i32) };
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        s.participant = to;
        s.amount = amount;
        s.deadline = unsafe { now() } + deadline;
    });
    put(to, &format!("{{\"type\":\"debit\",\"v\":{}}}", amount));
    unsafe { timer_set(deadline) };
}

#[no_mangle]
pub extern "C" fn on_message(from: i32, ptr: *const u8, len: i32) {
    let msg = read(ptr, len);
    let kind = string_field(&msg, "type").unwrap_or_default();
    let v = int_field(&msg, "v", 0);
    match kind.as_str() {
        // The participant's side: debit, confirm, refund.
        "debit" => {
            event("debit", &format!("{{\"v\":{}}}", v));
            put(from, "{\"type\":\"debited\"}");
        }
        "confirm" => put(from, "{\"type\":\"confirmed\"}"),
        "refund" => event("refund", &format!("{{\"v\":{}}}", v)),
        // The orchestrator's side.
        "debited" => STATE.with(|s| {
            let mut s = s.borrow_mut();
            // A reply at the deadline instant is still in time.
            if s.saga == Saga::Pending && unsafe { now() } <= s.deadline {
                s.saga = Saga::Confirming;
                put(from, "{\"type\":\"confirm\"}");
            }
        }),
        "confirmed" => STATE.with(|s| {
            s.borrow_mut().saga = Saga::Committed;
            event("outcome", "{\"outcome\":\"committed\"}");
        }),
        _ => {}
    }
}

#[no_mangle]
pub extern "C" fn on_timer(_id: i64) {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        // The bug: a saga whose confirmation is under way is not committed
        // yet, and is compensated all the same.
        if s.saga != Saga::Committed {
            s.saga = Saga::Aborted;
            event("outcome", "{\"outcome\":\"aborted\"}");
            put(s.participant, &format!("{{\"type\":\"refund\",\"v\":{}}}", s.amount));
        }
    });
}
