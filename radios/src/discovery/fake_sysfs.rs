//! A fake `/sys/class/tty`, `/dev` and `/dev/serial/by-id` in a directory, laid out as the
//! kernel and udev lay out the real ones, for the tests of discovery here and of the hub
//! (`sealhub doctor`, the emulated sticks on ptys). Not used outside tests.

use std::path::{Path, PathBuf};

use super::SysRoots;

/// A fake tree under a directory the caller owns (usually a temporary one). Its methods panic
/// on I/O errors: they only build test fixtures.
#[derive(Debug, Clone)]
pub struct FakeTree {
    root: PathBuf,
}

impl FakeTree {
    /// An empty tree (the three roots exist, nothing in them) under `root`.
    pub fn in_dir(root: &Path) -> Self {
        let tree = FakeTree {
            root: root.to_path_buf(),
        };
        let roots = tree.roots();
        for dir in [&roots.sysfs_tty, &roots.dev, &roots.by_id] {
            std::fs::create_dir_all(dir).expect("fake tree root");
        }
        tree
    }

    /// The roots to hand to discovery.
    pub fn roots(&self) -> SysRoots {
        SysRoots {
            sysfs_tty: self.root.join("sys/class/tty"),
            dev: self.root.join("dev"),
            by_id: self.root.join("dev/serial/by-id"),
        }
    }

    /// A usb-serial tty (CP210x, CH9102): `device` is the port below the USB interface, the
    /// ids two levels up. Returns the USB device's directory. Its device node is a plain file
    /// until [`FakeTree::dev_node_to`] points it somewhere.
    pub fn usb_serial_tty(
        &self,
        tty: &str,
        vendor_id: u16,
        product_id: u16,
        manufacturer: Option<&str>,
        serial: Option<&str>,
    ) -> PathBuf {
        let usb = self.usb_device(tty, vendor_id, product_id, manufacturer, serial);
        let port = usb.join("1-1:1.0").join(tty);
        std::fs::create_dir_all(&port).expect("port dir");
        self.tty_entry(tty, Some(&port));
        usb
    }

    /// A CDC-ACM tty: `device` is the USB interface, the ids one level up.
    pub fn acm_tty(&self, tty: &str, vendor_id: u16, product_id: u16) -> PathBuf {
        let usb = self.usb_device(tty, vendor_id, product_id, None, None);
        let interface = usb.join("1-1:1.0");
        std::fs::create_dir_all(&interface).expect("interface dir");
        self.tty_entry(tty, Some(&interface));
        usb
    }

    /// A tty on no USB device (an on-board UART).
    pub fn non_usb_tty(&self, tty: &str) {
        let platform = self.root.join("sys/devices/platform/serial8250");
        std::fs::create_dir_all(&platform).expect("platform dir");
        self.tty_entry(tty, Some(&platform));
    }

    /// Makes `<by-id>/<name>` a link to the tty's device node.
    pub fn by_id(&self, name: &str, tty: &str) {
        let roots = self.roots();
        std::os::unix::fs::symlink(roots.dev.join(tty), roots.by_id.join(name)).expect("by-id");
    }

    /// Points the tty's device node at `target` (a pty's slave, in tests that open it).
    pub fn dev_node_to(&self, tty: &str, target: &Path) {
        let node = self.roots().dev.join(tty);
        let _ = std::fs::remove_file(&node);
        std::os::unix::fs::symlink(target, node).expect("device node link");
    }

    fn usb_device(
        &self,
        tty: &str,
        vendor_id: u16,
        product_id: u16,
        manufacturer: Option<&str>,
        serial: Option<&str>,
    ) -> PathBuf {
        let usb = self.root.join("sys/devices/usb1").join(format!("1-{tty}"));
        std::fs::create_dir_all(&usb).expect("usb dir");
        let write = |name: &str, value: &str| {
            std::fs::write(usb.join(name), format!("{value}\n")).expect("usb attribute")
        };
        write("idVendor", &format!("{vendor_id:04x}"));
        write("idProduct", &format!("{product_id:04x}"));
        if let Some(m) = manufacturer {
            write("manufacturer", m);
        }
        if let Some(s) = serial {
            write("serial", s);
        }
        usb
    }

    fn tty_entry(&self, tty: &str, device: Option<&Path>) {
        let roots = self.roots();
        let entry = roots.sysfs_tty.join(tty);
        std::fs::create_dir_all(&entry).expect("tty entry");
        if let Some(device) = device {
            std::os::unix::fs::symlink(device, entry.join("device")).expect("device link");
        }
        let node = roots.dev.join(tty);
        if !node.exists() {
            std::fs::write(node, b"").expect("device node");
        }
    }
}
