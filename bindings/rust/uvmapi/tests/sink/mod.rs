//! A real SMTP server for the tests: Postfix's smtp-sink on a free loopback
//! port, every message dumped to a file of its own, and a port where nothing
//! listens.
#![allow(dead_code)]

use std::env;
use std::fs;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// How long a wait for the server may take before it counts as a failure.
pub const PATIENCE: Duration = Duration::from_secs(10);
/// How often a wait looks at its condition again.
const POLL: Duration = Duration::from_millis(10);

/// Under CI (CI=true) or CTest (UVMAPI_TESTS_STRICT=1) a missing smtp-sink
/// fails the test: a skip would pass a test that never ran.
pub fn strict() -> bool {
    env::var("CI").as_deref() == Ok("true") || env::var("UVMAPI_TESTS_STRICT").as_deref() == Ok("1")
}

fn executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

pub fn find_smtp_sink() -> Option<PathBuf> {
    if let Some(chosen) = env::var_os("UVMAPI_SMTP_SINK").filter(|v| !v.is_empty()) {
        let chosen = PathBuf::from(chosen);
        return executable(&chosen).then_some(chosen);
    }
    let mut places: Vec<PathBuf> = env::var_os("PATH")
        .map(|path| {
            env::split_paths(&path)
                .map(|dir| dir.join("smtp-sink"))
                .collect()
        })
        .unwrap_or_default();
    for dir in ["/usr/sbin", "/usr/local/sbin", "/opt/homebrew/sbin"] {
        places.push(Path::new(dir).join("smtp-sink"));
    }
    places.into_iter().find(|p| executable(p))
}

/// The path of smtp-sink; None after printing a notice when it is missing
/// (the test then returns early), and a panic instead when strict.
pub fn require_smtp_sink(test: &str) -> Option<PathBuf> {
    let found = find_smtp_sink();
    if found.is_none() {
        assert!(
            !strict(),
            "{test}: smtp-sink (Postfix) is not installed, and CI=true or UVMAPI_TESTS_STRICT=1 forbids skipping"
        );
        eprintln!("NOTICE: {test}: smtp-sink (Postfix) is not installed: skipped");
    }
    found
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The URL of a loopback port where connections are refused, and the
/// holder that keeps anybody else from taking the port while it lives.
pub fn refusing_url() -> (String, RefusingPort) {
    let holder = RefusingPort::new();
    (format!("smtp://127.0.0.1:{}", holder.port), holder)
}

/// A port with nothing listening on it, held by a socket that is bound but
/// never listens. The standard library binds only to listen, so this calls
/// the C library's socket functions itself.
pub struct RefusingPort {
    fd: i32,
    pub port: u16,
}

extern "C" {
    fn socket(domain: i32, kind: i32, protocol: i32) -> i32;
    fn bind(fd: i32, address: *const u8, length: u32) -> i32;
    fn getsockname(fd: i32, address: *mut u8, length: *mut u32) -> i32;
    fn close(fd: i32) -> i32;
}

impl RefusingPort {
    fn new() -> RefusingPort {
        // struct sockaddr_in, laid out by hand: family, port, address, zeros.
        const AF_INET: i32 = 2;
        const SOCK_STREAM: i32 = 1;
        let mut address = [0u8; 16];
        #[cfg(any(target_os = "macos", target_os = "freebsd"))]
        {
            address[0] = 16;
            address[1] = AF_INET as u8;
        }
        #[cfg(not(any(target_os = "macos", target_os = "freebsd")))]
        {
            address[..2].copy_from_slice(&(AF_INET as u16).to_ne_bytes());
        }
        address[4..8].copy_from_slice(&[127, 0, 0, 1]);
        // SAFETY: plain socket calls on a buffer of the right size.
        unsafe {
            let fd = socket(AF_INET, SOCK_STREAM, 0);
            assert!(fd >= 0, "socket() failed");
            assert_eq!(bind(fd, address.as_ptr(), 16), 0, "bind() failed");
            let mut length = 16u32;
            assert_eq!(getsockname(fd, address.as_mut_ptr(), &mut length), 0);
            RefusingPort {
                fd,
                port: u16::from_be_bytes([address[2], address[3]]),
            }
        }
    }
}

impl Drop for RefusingPort {
    fn drop(&mut self) {
        // SAFETY: our own descriptor.
        unsafe { close(self.fd) };
    }
}

fn accepts_connections(port: u16) -> bool {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    TcpStream::connect_timeout(&address, Duration::from_secs(1)).is_ok()
}

/// smtp-sink, stopped and its dump directory removed on drop.
pub struct SmtpSink {
    child: Option<Child>,
    pub port: u16,
    pub dir: PathBuf,
}

impl SmtpSink {
    pub fn start(program: &Path) -> SmtpSink {
        let dir = env::temp_dir().join(format!(
            "uvmapi-rs-sink-{}-{}",
            std::process::id(),
            free_port()
        ));
        fs::create_dir_all(&dir).unwrap();
        {
            use std::os::unix::fs::PermissionsExt;
            // smtp-sink drops to "nobody" when started as root, which must write here.
            fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).unwrap();
        }
        let mut sink = SmtpSink {
            child: None,
            port: 0,
            dir,
        };
        for _ in 0..5 {
            // Another program may take a free port first: try another.
            if sink.start_on(program, free_port()) {
                return sink;
            }
        }
        panic!(
            "could not start {} on a free loopback port",
            program.display()
        );
    }

    fn start_on(&mut self, program: &Path, port: u16) -> bool {
        let mut command = Command::new(program);
        // SAFETY: geteuid has no preconditions.
        if unsafe { geteuid() } == 0 {
            command.args(["-u", "nobody"]); // It refuses to keep root privileges.
        }
        command
            .arg("-d")
            .arg(format!("{}/%M.", self.dir.display()))
            .arg(format!("127.0.0.1:{port}"))
            .arg("10")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child = command.spawn().expect("cannot run smtp-sink");
        let deadline = Instant::now() + PATIENCE;
        while Instant::now() < deadline {
            if child.try_wait().unwrap().is_some() {
                return false;
            }
            if accepts_connections(port) {
                self.child = Some(child);
                self.port = port;
                return true;
            }
            thread::sleep(POLL);
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("smtp-sink did not accept connections within {PATIENCE:?}");
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn dumps(&self) -> Vec<String> {
        let mut found: Vec<String> = fs::read_dir(&self.dir)
            .unwrap()
            .filter_map(|entry| entry.ok())
            .filter(|entry| !entry.file_name().to_string_lossy().starts_with('.'))
            .map(|entry| String::from_utf8_lossy(&fs::read(entry.path()).unwrap()).into_owned())
            .collect();
        found.sort();
        found
    }

    /// The dumped messages once there are count of them (or the patience ends).
    pub fn wait_for(&self, count: usize) -> Vec<String> {
        let deadline = Instant::now() + PATIENCE;
        let mut found = self.dumps();
        while found.len() != count && Instant::now() < deadline {
            thread::sleep(POLL);
            found = self.dumps();
        }
        found
    }
}

extern "C" {
    fn geteuid() -> u32;
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}
