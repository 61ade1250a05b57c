//! Synthetic copies of machines' `/sys` and `/proc`, written as the kernel lays them out, for
//! `conpar info --sysroot DIR`: this 2-CPU VM, a desktop with SMT, an Intel hybrid, an ARM
//! big.LITTLE board, a 2-socket NUMA server, a 256-core machine, and trees with files missing.

use std::fs;
use std::path::{Path, PathBuf};

/// A tree below a fresh temporary directory, removed when dropped.
pub struct Tree {
    pub root: PathBuf,
    _dir: tempfile::TempDir,
}

/// One logical CPU as sysfs describes it.
pub struct Cpu {
    pub cpu: usize,
    /// Its core's hardware threads, in the kernel's list notation ("0,8").
    pub siblings: String,
    pub package: usize,
    pub capacity: Option<u32>,
}

impl Tree {
    /// An empty tree, its directory named after `name`.
    pub fn new(name: &str) -> Tree {
        let dir = tempfile::Builder::new()
            .prefix(&format!("conpar-sysroot-{name}-"))
            .tempdir()
            .expect("a temporary directory");
        Tree {
            root: dir.path().to_path_buf(),
            _dir: dir,
        }
    }

    /// Writes `text` to `rel` below the root, making its directories.
    pub fn file(&self, rel: &str, text: &str) -> &Tree {
        let path = self.root.join(rel);
        fs::create_dir_all(path.parent().expect("a parent")).expect("directories");
        fs::write(&path, text).expect("a file");
        self
    }

    pub fn path(&self) -> &Path {
        &self.root
    }

    /// The CPUs with their topology files (`core_cpus_list`, the older `thread_siblings_list`,
    /// `physical_package_id`, `die_id`, and `cpu_capacity` where given), and `online`.
    pub fn cpus(&self, cpus: &[Cpu], online: &str) -> &Tree {
        self.file("sys/devices/system/cpu/online", &format!("{online}\n"));
        for c in cpus {
            let dir = format!("sys/devices/system/cpu/cpu{}", c.cpu);
            self.file(
                &format!("{dir}/topology/core_cpus_list"),
                &format!("{}\n", c.siblings),
            );
            self.file(
                &format!("{dir}/topology/thread_siblings_list"),
                &format!("{}\n", c.siblings),
            );
            self.file(
                &format!("{dir}/topology/physical_package_id"),
                &format!("{}\n", c.package),
            );
            self.file(&format!("{dir}/topology/die_id"), "0\n");
            if let Some(capacity) = c.capacity {
                self.file(&format!("{dir}/cpu_capacity"), &format!("{capacity}\n"));
            }
        }
        self
    }

    pub fn smt(&self, active: &str, control: &str) -> &Tree {
        self.file("sys/devices/system/cpu/smt/active", &format!("{active}\n"))
            .file(
                "sys/devices/system/cpu/smt/control",
                &format!("{control}\n"),
            )
    }

    pub fn node(&self, node: usize, cpulist: &str) -> &Tree {
        self.file(
            &format!("sys/devices/system/node/node{node}/cpulist"),
            &format!("{cpulist}\n"),
        )
    }

    pub fn model(&self, name: &str) -> &Tree {
        self.file(
            "proc/cpuinfo",
            &format!("processor\t: 0\nmodel name\t: {name}\n\n"),
        )
    }
}

fn cpu(cpu: usize, siblings: String, package: usize, capacity: Option<u32>) -> Cpu {
    Cpu {
        cpu,
        siblings,
        package,
        capacity,
    }
}

/// This development VM: 2 CPUs, one thread per core, `smt/control` notsupported.
pub fn this_vm() -> Tree {
    let tree = Tree::new("vm");
    tree.cpus(
        &(0..2)
            .map(|c| cpu(c, c.to_string(), 0, Some(1024)))
            .collect::<Vec<_>>(),
        "0-1",
    )
    .smt("0", "notsupported")
    .node(0, "0-1")
    .model("Intel(R) Xeon(R) Processor");
    tree
}

/// A desktop with 8 cores x 2 threads: CPUs k and k+8 share core k.
pub fn desktop_8x2() -> Tree {
    let tree = Tree::new("desktop");
    let cpus: Vec<Cpu> = (0..16)
        .map(|c| cpu(c, format!("{},{}", c % 8, c % 8 + 8), 0, None))
        .collect();
    tree.cpus(&cpus, "0-15")
        .smt("1", "on")
        .node(0, "0-15")
        .model("AMD Ryzen 7 5800X 8-Core Processor");
    tree
}

/// An Intel hybrid: 6 P-cores with 2 threads each (CPUs 0-11, siblings 2k and 2k+1) and 8
/// E-cores (CPUs 12-19), as `devices/cpu_core` and `devices/cpu_atom` list them.
pub fn intel_hybrid() -> Tree {
    let tree = Tree::new("hybrid");
    let cpus: Vec<Cpu> = (0..20)
        .map(|c| {
            let siblings = if c < 12 {
                format!("{}-{}", c / 2 * 2, c / 2 * 2 + 1)
            } else {
                c.to_string()
            };
            cpu(c, siblings, 0, None)
        })
        .collect();
    tree.cpus(&cpus, "0-19")
        .smt("1", "on")
        .file("sys/devices/cpu_core/cpus", "0-11\n")
        .file("sys/devices/cpu_atom/cpus", "12-19\n")
        .node(0, "0-19")
        .model("12th Gen Intel(R) Core(TM) i7-12700H");
    tree
}

/// An ARM big.LITTLE board: 4 little cores (CPUs 0-3, capacity 446) and 4 big ones (CPUs 4-7,
/// capacity 1024); no SMT files.
pub fn arm_big_little() -> Tree {
    let tree = Tree::new("biglittle");
    let cpus: Vec<Cpu> = (0..8)
        .map(|c| cpu(c, c.to_string(), 0, Some(if c < 4 { 446 } else { 1024 })))
        .collect();
    tree.cpus(&cpus, "0-7").file(
        "proc/cpuinfo",
        "processor\t: 0\nBogoMIPS\t: 48.00\n\nHardware\t: Rockchip RK3588\n",
    );
    tree
}

/// A 2-socket server: 128 cores x 2 threads, 64 cores a socket, CPUs k and k+128 share core
/// k, one NUMA node per socket.
pub fn server_2x64x2() -> Tree {
    let tree = Tree::new("server");
    let cpus: Vec<Cpu> = (0..256)
        .map(|c| {
            cpu(
                c,
                format!("{},{}", c % 128, c % 128 + 128),
                c % 128 / 64,
                None,
            )
        })
        .collect();
    tree.cpus(&cpus, "0-255")
        .smt("1", "on")
        .node(0, "0-63,128-191")
        .node(1, "64-127,192-255")
        .model("AMD EPYC 7763 64-Core Processor");
    tree
}

/// 256 cores of one thread each in one package.
pub fn cores_256() -> Tree {
    let tree = Tree::new("many");
    let cpus: Vec<Cpu> = (0..256).map(|c| cpu(c, c.to_string(), 0, None)).collect();
    tree.cpus(&cpus, "0-255")
        .smt("0", "off")
        .node(0, "0-255")
        .model("Many-core CPU");
    tree
}

/// Only the online list and bare CPU directories: every topology file missing.
pub fn bare() -> Tree {
    let tree = Tree::new("bare");
    tree.file("sys/devices/system/cpu/online", "0-3\n");
    for c in 0..4 {
        fs::create_dir_all(tree.root.join(format!("sys/devices/system/cpu/cpu{c}")))
            .expect("a directory");
    }
    tree
}
