//! The serial ports this machine has, read from sysfs (`/sys/class/tty/<name>/device`, up to
//! the USB device that carries `idVendor`, `idProduct`, `manufacturer`, `product`, `serial`)
//! and `/dev/serial/by-id/`. Reads only; nothing here opens a port.
//!
//! The roots are parameters ([`SysRoots`]) so tests build a fake tree.

use std::path::{Path, PathBuf};

/// Where discovery looks. [`SysRoots::system`] is the real machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SysRoots {
    /// `/sys/class/tty`: one entry per tty, with a `device` link for real hardware.
    pub sysfs_tty: PathBuf,
    /// `/dev`: where the device node of tty `<name>` is, `<dev>/<name>`.
    pub dev: PathBuf,
    /// `/dev/serial/by-id`: udev's stable names, links to the device nodes.
    pub by_id: PathBuf,
}

impl SysRoots {
    /// The running system's paths.
    pub fn system() -> Self {
        SysRoots {
            sysfs_tty: PathBuf::from("/sys/class/tty"),
            dev: PathBuf::from("/dev"),
            by_id: PathBuf::from("/dev/serial/by-id"),
        }
    }
}

/// What the USB device behind a serial port says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UsbInfo {
    /// `idVendor`.
    pub vendor_id: u16,
    /// `idProduct`.
    pub product_id: u16,
    /// `manufacturer` string, if the device has one.
    pub manufacturer: Option<String>,
    /// `product` string, if any.
    pub product: Option<String>,
    /// `serial` string, if any.
    pub serial: Option<String>,
}

/// A USB serial port found on the machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialPortInfo {
    /// The tty's name, e.g. `ttyUSB0`.
    pub tty: String,
    /// Its device node, `<dev>/<tty>`.
    pub dev_path: PathBuf,
    /// Its stable `/dev/serial/by-id/` name, when udev made one: the path the hub should use,
    /// since it survives replugging.
    pub by_id: Option<PathBuf>,
    /// The USB device's ids and strings.
    pub usb: UsbInfo,
}

impl SerialPortInfo {
    /// The path to open: the by-id name when there is one, else the device node.
    pub fn preferred_path(&self) -> &Path {
        self.by_id.as_deref().unwrap_or(&self.dev_path)
    }
}

/// How far above a tty's `device` directory the USB device may be: a CDC-ACM tty's `device` is
/// the USB interface (its parent is the device), a usb-serial tty's `device` is the port below
/// the interface (two levels up).
const MAX_LEVELS_TO_USB_DEVICE: usize = 3;

/// Every tty under `roots.sysfs_tty` that sits on a USB device, sorted by tty name. A tty
/// without a readable `idVendor`/`idProduct` above it (virtual consoles, on-board UARTs) is
/// skipped.
pub fn usb_serial_ports(roots: &SysRoots) -> std::io::Result<Vec<SerialPortInfo>> {
    let by_id = by_id_links(&roots.by_id);
    let mut ports = Vec::new();
    for entry in std::fs::read_dir(&roots.sysfs_tty)? {
        let Ok(entry) = entry else { continue };
        let Some(tty) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        let Ok(device) = std::fs::canonicalize(entry.path().join("device")) else {
            continue;
        };
        let Some(usb) = usb_info_above(&device) else {
            continue;
        };
        let dev_path = roots.dev.join(&tty);
        let target = std::fs::canonicalize(&dev_path).ok();
        let by_id = target.and_then(|t| {
            by_id
                .iter()
                .find(|(_, resolved)| *resolved == t)
                .map(|(link, _)| link.clone())
        });
        ports.push(SerialPortInfo {
            tty,
            dev_path,
            by_id,
            usb,
        });
    }
    ports.sort_by(|a, b| a.tty.cmp(&b.tty));
    Ok(ports)
}

/// The by-id links and what each resolves to; an absent directory (no USB serial device
/// plugged in) is simply empty.
fn by_id_links(dir: &Path) -> Vec<(PathBuf, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut links: Vec<(PathBuf, PathBuf)> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let link = e.path();
            let resolved = std::fs::canonicalize(&link).ok()?;
            Some((link, resolved))
        })
        .collect();
    links.sort();
    links
}

/// Walks up from a tty's device directory to the first directory with USB ids.
fn usb_info_above(device: &Path) -> Option<UsbInfo> {
    let mut dir = Some(device);
    for _ in 0..=MAX_LEVELS_TO_USB_DEVICE {
        let here = dir?;
        if let (Some(vendor_id), Some(product_id)) = (
            read_hex_id(here, "idVendor"),
            read_hex_id(here, "idProduct"),
        ) {
            return Some(UsbInfo {
                vendor_id,
                product_id,
                manufacturer: read_text(here, "manufacturer"),
                product: read_text(here, "product"),
                serial: read_text(here, "serial"),
            });
        }
        dir = here.parent();
    }
    None
}

/// A sysfs attribute of at most a line; sysfs values are short, a longer one is not a USB
/// string.
fn read_text(dir: &Path, name: &str) -> Option<String> {
    let bytes = std::fs::read(dir.join(name)).ok()?;
    if bytes.len() > 256 {
        return None;
    }
    let text = String::from_utf8_lossy(&bytes).trim().to_owned();
    (!text.is_empty()).then_some(text)
}

/// `idVendor`/`idProduct`: four hex digits.
fn read_hex_id(dir: &Path, name: &str) -> Option<u16> {
    let text = read_text(dir, name)?;
    if text.len() != 4 {
        return None;
    }
    u16::from_str_radix(&text, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::fake_sysfs::FakeTree;

    #[test]
    fn finds_usb_serial_and_acm_ports_with_ids_strings_and_by_id_names() {
        let dir = tempfile::tempdir().expect("tempdir");
        let tree = FakeTree::in_dir(dir.path());
        tree.usb_serial_tty("ttyUSB0", 0x10c4, 0xea60, Some("Nabu Casa"), Some("abc"));
        tree.acm_tty("ttyACM0", 0x0658, 0x0200);
        tree.non_usb_tty("ttyS0");
        tree.by_id("usb-Nabu_Casa_SkyConnect_abc-if00-port0", "ttyUSB0");

        let ports = usb_serial_ports(&tree.roots()).expect("scan");
        assert_eq!(ports.len(), 2, "{ports:?}");
        let acm = &ports[0];
        assert_eq!(acm.tty, "ttyACM0");
        assert_eq!((acm.usb.vendor_id, acm.usb.product_id), (0x0658, 0x0200));
        assert_eq!(acm.by_id, None);
        assert_eq!(acm.preferred_path(), tree.roots().dev.join("ttyACM0"));
        let usb = &ports[1];
        assert_eq!((usb.usb.vendor_id, usb.usb.product_id), (0x10c4, 0xea60));
        assert_eq!(usb.usb.manufacturer.as_deref(), Some("Nabu Casa"));
        assert_eq!(usb.usb.serial.as_deref(), Some("abc"));
        assert_eq!(
            usb.preferred_path(),
            tree.roots()
                .by_id
                .join("usb-Nabu_Casa_SkyConnect_abc-if00-port0")
        );
    }

    #[test]
    fn malformed_ids_and_a_missing_by_id_dir_are_tolerated() {
        let dir = tempfile::tempdir().expect("tempdir");
        let tree = FakeTree::in_dir(dir.path());
        let dir = tree.usb_serial_tty("ttyUSB1", 0x1a86, 0x55d4, None, None);
        std::fs::write(dir.join("idVendor"), "1a86x\n").expect("write");
        std::fs::remove_dir_all(tree.roots().by_id).expect("rm by-id");
        assert_eq!(usb_serial_ports(&tree.roots()).expect("scan"), vec![]);
    }
}
