//! Temporary: compose a client with a given guest.
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let client = std::fs::read(&a[1]).unwrap();
    let plug = std::fs::read(&a[2]).unwrap();
    let out = portable_streams_host::compose::compose(&client, &plug).unwrap();
    std::fs::write(&a[3], out).unwrap();
}
