// goblin peer for bench/parse-goblin.mjs.
//
//   machlens-goblin-bench [--min-ms MS] [--warm-ms MS] FILE...
//
// For each file (read once into memory): `goblin::mach::Mach::parse`, every slice of a fat file parsed
// (`MultiArch::get`, goblin parses fat slices lazily), then a walk of what a caller of `machlens parse` is given:
// every load command (cmd, cmdsize, the fields of the common kinds), every segment with every section (names,
// addresses, sizes), the dylib and rpath strings, the uuid and the code-signature range. Warm (a warm-up loop
// first), then as many parse+walk iterations as fit in MS of process CPU time. Prints one JSON line per file:
// CPU and wall µs per parse+walk and per bare parse, and what it saw (for the caller to check that both parsers
// agree on the file).

use goblin::mach::load_command::CommandVariant;
use goblin::mach::{Mach, MachO};
use std::hint::black_box;
use std::time::Instant;

#[repr(C)]
struct Timespec {
    tv_sec: i64,
    tv_nsec: i64,
}
extern "C" {
    fn clock_gettime(clk: i32, ts: *mut Timespec) -> i32;
}
const CLOCK_PROCESS_CPUTIME_ID: i32 = 2;

/// Process CPU time in µs (the same clock as Node's process.cpuUsage()).
fn cpu_us() -> f64 {
    let mut ts = Timespec { tv_sec: 0, tv_nsec: 0 };
    unsafe {
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &mut ts);
    }
    ts.tv_sec as f64 * 1e6 + ts.tv_nsec as f64 / 1e3
}

#[derive(Default, Clone)]
struct Seen {
    slices: usize,
    ncmds: Vec<usize>,
    nsects: usize,
    dylibs: usize,
    rpaths: usize,
    uuids: Vec<String>,
    codesig: Vec<u32>,
    sum: u64,
}

fn cstr(bytes: &[u8], at: usize) -> &str {
    let b = bytes.get(at..).unwrap_or(&[]);
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    std::str::from_utf8(&b[..end]).unwrap_or("")
}

/// Reads what machlens' model gives a caller from one parsed slice (`bytes` is the slice's bytes).
fn walk(m: &MachO, bytes: &[u8], seen: &mut Seen, record: bool) {
    let mut sum: u64 = 0;
    let mut nsects = 0usize;
    let mut rpaths = 0usize;
    sum = sum.wrapping_add(m.header.ncmds as u64 ^ m.header.flags as u64);
    for lc in &m.load_commands {
        let off = lc.offset;
        match &lc.command {
            CommandVariant::Rpath(c) => {
                rpaths += 1;
                sum = sum.wrapping_add(cstr(bytes, off + c.path as usize).len() as u64);
            }
            CommandVariant::LoadDylinker(c) => {
                sum = sum.wrapping_add(cstr(bytes, off + c.name as usize).len() as u64);
            }
            CommandVariant::LoadDylib(c)
            | CommandVariant::LoadWeakDylib(c)
            | CommandVariant::ReexportDylib(c)
            | CommandVariant::LazyLoadDylib(c)
            | CommandVariant::LoadUpwardDylib(c)
            | CommandVariant::IdDylib(c) => {
                sum = sum.wrapping_add(c.dylib.current_version as u64 ^ c.dylib.timestamp as u64);
            }
            CommandVariant::Uuid(c) => {
                sum = sum.wrapping_add(c.uuid[0] as u64);
                if record {
                    seen.uuids.push(c.uuid.iter().map(|b| format!("{:02X}", b)).collect());
                }
            }
            CommandVariant::CodeSignature(c) => {
                sum = sum.wrapping_add(c.dataoff as u64 + c.datasize as u64);
                if record {
                    seen.codesig.push(c.dataoff);
                }
            }
            CommandVariant::Symtab(c) => sum = sum.wrapping_add(c.symoff as u64 + c.nsyms as u64),
            CommandVariant::Dysymtab(c) => sum = sum.wrapping_add(c.nindirectsyms as u64),
            CommandVariant::Main(c) => sum = sum.wrapping_add(c.entryoff),
            _ => sum = sum.wrapping_add(lc.offset as u64),
        }
    }
    for seg in m.segments.iter() {
        sum = seg.name().map(|n| n.len() as u64).unwrap_or(0).wrapping_add(sum ^ seg.vmaddr);
        for s in seg {
            if let Ok((sect, _data)) = s {
                nsects += 1;
                let n = sect.name().map(|n| n.len()).unwrap_or(0) + sect.segname().map(|n| n.len()).unwrap_or(0);
                sum = sum.wrapping_add(n as u64 ^ sect.addr ^ sect.size ^ sect.offset as u64 ^ sect.flags as u64);
            }
        }
    }
    for lib in &m.libs {
        sum = sum.wrapping_add(lib.len() as u64);
    }
    seen.sum = seen.sum.wrapping_add(sum);
    if record {
        seen.slices += 1;
        seen.ncmds.push(m.load_commands.len());
        seen.nsects += nsects;
        seen.dylibs += m.libs.len() - 1; // libs[0] is "self" or the LC_ID_DYLIB name
        seen.rpaths += rpaths;
    }
}

/// One parse + walk of the whole file (every slice of a fat file).
fn parse_walk(bytes: &[u8], seen: &mut Seen, record: bool) -> Result<(), String> {
    match Mach::parse(bytes).map_err(|e| e.to_string())? {
        Mach::Binary(m) => walk(&m, bytes, seen, record),
        Mach::Fat(fat) => {
            for (i, arch) in fat.iter_arches().enumerate() {
                let arch = arch.map_err(|e| e.to_string())?;
                let m = fat.get(i).map_err(|e| e.to_string())?;
                walk(&m, arch.slice(bytes), seen, record);
            }
        }
    }
    Ok(())
}

/// The bare parse: `Mach::parse` and, for a fat file, every slice's `MachO::parse` (no walk).
fn parse_only(bytes: &[u8]) -> Result<usize, String> {
    match Mach::parse(bytes).map_err(|e| e.to_string())? {
        Mach::Binary(m) => Ok(black_box(m).load_commands.len()),
        Mach::Fat(fat) => {
            let mut n = 0;
            for m in &fat {
                n += black_box(m.map_err(|e| e.to_string())?).load_commands.len();
            }
            Ok(n)
        }
    }
}

fn json_str(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// Runs `f` in batches until `ms` of CPU time have passed; returns (iterations, cpu µs, wall µs).
fn timed<F: FnMut()>(ms: f64, mut f: F) -> (u64, f64, f64) {
    let (c0, w0) = (cpu_us(), Instant::now());
    let mut n: u64 = 0;
    let mut batch: u64 = 1;
    loop {
        for _ in 0..batch {
            f();
        }
        n += batch;
        let c = cpu_us() - c0;
        if c >= ms * 1000.0 {
            return (n, c, w0.elapsed().as_secs_f64() * 1e6);
        }
        if batch < 1 << 20 {
            batch *= 2;
        }
    }
}

fn main() {
    let mut min_ms = 200.0;
    let mut warm_ms = 50.0;
    let mut files = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--min-ms" => min_ms = args.next().and_then(|v| v.parse().ok()).expect("--min-ms MS"),
            "--warm-ms" => warm_ms = args.next().and_then(|v| v.parse().ok()).expect("--warm-ms MS"),
            _ => files.push(a),
        }
    }
    for file in &files {
        let bytes = match std::fs::read(file) {
            Ok(b) => b,
            Err(e) => {
                println!("{{\"file\":{},\"ok\":false,\"error\":{}}}", json_str(file), json_str(&e.to_string()));
                continue;
            }
        };
        let mut seen = Seen::default();
        if let Err(e) = parse_walk(&bytes, &mut seen, true) {
            println!("{{\"file\":{},\"ok\":false,\"error\":{}}}", json_str(file), json_str(&e));
            continue;
        }
        let mut scratch = Seen::default();
        timed(warm_ms, || {
            parse_walk(black_box(&bytes), &mut scratch, false).unwrap();
        });
        let (n, cpu, wall) = timed(min_ms, || {
            parse_walk(black_box(&bytes), &mut scratch, false).unwrap();
        });
        let (pn, pcpu, pwall) = timed(min_ms / 2.0, || {
            black_box(parse_only(black_box(&bytes)).unwrap());
        });
        let ncmds: Vec<String> = seen.ncmds.iter().map(|n| n.to_string()).collect();
        let uuids: Vec<String> = seen.uuids.iter().map(|u| json_str(u)).collect();
        let codesig: Vec<String> = seen.codesig.iter().map(|u| u.to_string()).collect();
        println!(
            "{{\"file\":{},\"ok\":true,\"size\":{},\"iterations\":{},\"cpuUs\":{:.4},\"wallUs\":{:.4},\"parseOnlyCpuUs\":{:.4},\"parseOnlyWallUs\":{:.4},\"slices\":{},\"ncmds\":[{}],\"nsects\":{},\"dylibs\":{},\"rpaths\":{},\"uuids\":[{}],\"codeSignatureDataoff\":[{}],\"checksum\":{}}}",
            json_str(file),
            bytes.len(),
            n,
            cpu / n as f64,
            wall / n as f64,
            pcpu / pn as f64,
            pwall / pn as f64,
            seen.slices,
            ncmds.join(","),
            seen.nsects,
            seen.dylibs,
            seen.rpaths,
            uuids.join(","),
            codesig.join(","),
            scratch.sum
        );
    }
}
