use std::{collections::HashMap, env, fs, path::Path};

/// Reads the `NAME = a.c b.c \` lists of opus's *_sources.mk files.
fn mk_lists(dir: &Path) -> HashMap<String, Vec<String>> {
    let mut out = HashMap::new();
    for mk in ["celt_sources.mk", "silk_sources.mk", "opus_sources.mk"] {
        let text = fs::read_to_string(dir.join(mk)).unwrap().replace("\\\n", " ");
        for line in text.lines() {
            if let Some((name, files)) = line.split_once('=') {
                out.insert(name.trim().to_string(),
                           files.split_whitespace().map(str::to_string).collect());
            }
        }
        println!("cargo:rerun-if-changed={}", dir.join(mk).display());
    }
    out
}

fn base(dir: &Path) -> cc::Build {
    let mut b = cc::Build::new();
    b.include(dir.join("include")).include(dir.join("celt")).include(dir.join("silk"))
     .include(dir.join("silk/float")).include(dir)
     .define("OPUS_BUILD", None).define("USE_ALLOCA", None).define("HAVE_ALLOCA_H", None)
     .define("HAVE_LRINT", None).define("HAVE_LRINTF", None).define("ENABLE_HARDENING", None).define("PACKAGE_VERSION", "\"1.6.1\"")
     .flag_if_supported("-std=gnu99").warnings(false)
     // libopus is slow unoptimised; build it -O2 even in debug profiles
     .opt_level(2);
    b
}

fn main() {
    let dir = Path::new(&env::var("CARGO_MANIFEST_DIR").unwrap()).join("opus");
    let l = mk_lists(&dir);
    let files = |names: &[&str]| -> Vec<std::path::PathBuf> {
        names.iter().flat_map(|n| l[*n].iter().map(|f| dir.join(f))).collect()
    };
    let x86_64 = env::var("CARGO_CFG_TARGET_ARCH").unwrap() == "x86_64";
    let simd = x86_64 && env::var("CARGO_FEATURE_SIMD").is_ok();

    let mut main = base(&dir);
    main.files(files(&["CELT_SOURCES", "SILK_SOURCES", "SILK_SOURCES_FLOAT",
                       "OPUS_SOURCES", "OPUS_SOURCES_FLOAT"]));
    if x86_64 {
        // SSE and SSE2 are baseline on x86_64: presume them, no flags, no CPU detection
        let mut defs = vec!["OPUS_X86_MAY_HAVE_SSE", "OPUS_X86_PRESUME_SSE",
                            "OPUS_X86_MAY_HAVE_SSE2", "OPUS_X86_PRESUME_SSE2"];
        main.files(files(&["CELT_SOURCES_SSE", "CELT_SOURCES_SSE2"]));
        if simd {
            defs.extend(["OPUS_X86_MAY_HAVE_SSE4_1", "OPUS_X86_MAY_HAVE_AVX2",
                         "OPUS_HAVE_RTCD", "CPU_INFO_BY_ASM"]);
            main.files(files(&["CELT_SOURCES_X86_RTCD", "SILK_SOURCES_X86_RTCD"]));
        }
        let mut extra = Vec::new();
        if simd {
            for (lists, flags) in [
                (&["CELT_SOURCES_SSE4_1", "SILK_SOURCES_SSE4_1"][..], &["-msse4.1"][..]),
                (&["CELT_SOURCES_AVX2", "SILK_SOURCES_AVX2", "SILK_SOURCES_FLOAT_AVX2"][..],
                 &["-mavx", "-mfma", "-mavx2"][..]),
            ] {
                let mut b = base(&dir);
                for d in &defs { b.define(d, None); }
                for f in flags { b.flag(f); }
                b.files(files(lists));
                extra.extend(b.compile_intermediates());
            }
        }
        for d in &defs { main.define(d, None); }
        for o in extra { main.object(o); }
    }
    main.compile("opus");
    println!("cargo:rustc-link-lib=m");
    println!("cargo:include={}", dir.join("include").display());
}
