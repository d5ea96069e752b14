//! NVM backup (`ZwaveStick::backup_nvm`) against the emulated controller over real ptys: a
//! 700-series chip through NVM Backup/Restore, a 500-series one through the extended NVM
//! functions, a chip that reports an error or a misplaced chunk in the middle, and a stick
//! pulled out during the backup. Every wait is bounded, so a hang fails the test.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use firmware_shim::test_time::scaled;
use firmware_shim::zwave_controller::controller::NVM_SIZE_700;
use firmware_shim::zwave_controller::{
    ControllerConfig, EmulatorHandle, Override, PtyConfig, SimNode, spawn_on_pty,
};
use sealhub_radios::port::PortConfig;
use sealhub_radios::zwave::driver::nvm::{NvmError, NvmFormat, NvmStep};
use sealhub_radios::zwave::driver::{DriverConfig, Error, ZwaveStick};
use sealhub_radios::zwave::serial::frame::FrameType;
use sealhub_radios::zwave::serial::messages::nvm::{
    NVM_BACKUP_RESTORE, NVM_EXT_READ_LONG_BUFFER, NvmOperation, NvmResponse, NvmStatus,
};
use sealhub_radios::zwave::serial::messages::{HostMessage, StickMessage};
use tokio::time::timeout;

mod support;
use support::zwave::soon;

const HOME_ID: u32 = 0x5EA1_0B0B;

fn driver_config(response_timeout: Duration) -> DriverConfig {
    DriverConfig {
        response_timeout: scaled(response_timeout),
        ..support::zwave::driver_config()
    }
}

async fn emulator(dir: &Path, controller: ControllerConfig) -> (PathBuf, EmulatorHandle) {
    let config = PtyConfig {
        controller,
        ..PtyConfig::new(dir.join("zwave-stick"))
    };
    spawn_on_pty(config).await.expect("emulator on a pty")
}

/// A started stick with a switch and a sleeping sensor in its network.
async fn started(
    dir: &Path,
    controller: ControllerConfig,
    response_timeout: Duration,
) -> (EmulatorHandle, ZwaveStick) {
    let (path, emu) = emulator(dir, controller).await;
    emu.with_stick(|s| {
        s.add_node(SimNode::binary_switch());
        s.add_node(SimNode::sleeping_sensor());
    });
    let (stick, _events) =
        ZwaveStick::open_with(PortConfig::new(&path), driver_config(response_timeout))
            .await
            .expect("driver opens the pty");
    timeout(soon(), stick.start())
        .await
        .expect("start-up does not hang")
        .expect("start-up succeeds");
    (emu, stick)
}

fn home_700() -> ControllerConfig {
    ControllerConfig {
        home_id: HOME_ID,
        ..ControllerConfig::default()
    }
}

fn nvm_ops(emu: &EmulatorHandle) -> Vec<NvmOperation> {
    emu.with_stick(|s| {
        s.received()
            .iter()
            .filter_map(|m| match m {
                HostMessage::Unknown {
                    function: NVM_BACKUP_RESTORE,
                    payload,
                } => NvmOperation::decode(payload).ok(),
                _ => None,
            })
            .collect()
    })
}

fn is_read(m: &HostMessage) -> bool {
    matches!(m, HostMessage::Unknown { function: NVM_BACKUP_RESTORE, payload } if payload.first() == Some(&0x01))
}

fn nvm_answer(response: NvmResponse) -> Override {
    Override::Reply(vec![StickMessage::Unknown {
        frame_type: FrameType::Response,
        function: NVM_BACKUP_RESTORE,
        payload: response.encode().expect("encodes"),
    }])
}

#[tokio::test]
async fn a_700_series_backup_is_read_completely_and_matches_the_chip() {
    let dir = tempfile::tempdir().expect("tmp");
    let (emu, stick) = started(dir.path(), home_700(), Duration::from_secs(5)).await;
    let backup = timeout(soon(), stick.backup_nvm())
        .await
        .expect("no hang")
        .expect("backup succeeds");
    let image = emu.with_stick(|s| s.controller().nvm_image());
    assert_eq!(backup.format, NvmFormat::BackupRestore);
    assert_eq!(backup.library_version, "Z-Wave 7.18");
    assert_eq!(backup.data.len(), usize::from(NVM_SIZE_700));
    assert!(backup.data == image, "the backup is the chip's image");
    assert_eq!(&backup.data[5..9], &HOME_ID.to_be_bytes());
    assert_eq!(
        backup.data[10], 0b0000_0111,
        "controller, switch and sensor"
    );
    let ops = nvm_ops(&emu);
    assert_eq!(ops.first(), Some(&NvmOperation::Open));
    assert_eq!(ops.last(), Some(&NvmOperation::Close));
    let reads = ops.len() - 2;
    assert!(
        reads > 1 && reads <= usize::from(NVM_SIZE_700).div_ceil(48) + 1,
        "read in chunks: {reads} reads"
    );
}

#[tokio::test]
async fn a_500_series_backup_goes_through_the_extended_nvm_functions() {
    let dir = tempfile::tempdir().expect("tmp");
    let config = ControllerConfig {
        home_id: HOME_ID,
        library_version: "Z-Wave 6.07".into(),
        firmware: (6, 7),
        chip: [0x05, 0x00],
        ..ControllerConfig::default()
    };
    let (emu, stick) = started(dir.path(), config, Duration::from_secs(5)).await;
    let backup = timeout(soon(), stick.backup_nvm())
        .await
        .expect("no hang")
        .expect("backup succeeds");
    assert!(matches!(backup.format, NvmFormat::ExtendedNvm { .. }));
    assert_eq!(backup.data.len(), 16 * 1024);
    let image = emu.with_stick(|s| s.controller().nvm_image());
    assert!(backup.data == image, "the backup is the chip's image");
    assert!(nvm_ops(&emu).is_empty(), "no 0x2E on a 500-series chip");
    let ext_reads = emu.with_stick(|s| {
        s.received()
            .iter()
            .filter(|m| {
                matches!(m, HostMessage::Unknown { function, .. } if *function == NVM_EXT_READ_LONG_BUFFER)
            })
            .count()
    });
    // The first read asks for 64 KiB and gets nothing; the rest use 48-byte chunks.
    assert_eq!(ext_reads, 1 + (16 * 1024usize).div_ceil(48));
}

#[tokio::test]
async fn an_error_status_mid_read_fails_with_a_typed_error_and_closes_the_nvm() {
    let dir = tempfile::tempdir().expect("tmp");
    let (emu, stick) = started(dir.path(), home_700(), Duration::from_secs(5)).await;
    let mut reads = 0;
    emu.set_override(move |m| {
        if is_read(m) {
            reads += 1;
            if reads == 5 {
                return nvm_answer(NvmResponse {
                    status: NvmStatus::Error,
                    offset_or_size: 0,
                    data: Vec::new(),
                });
            }
        }
        Override::Default
    });
    let result = timeout(soon(), stick.backup_nvm()).await.expect("no hang");
    match result {
        Err(NvmError::Status {
            step: NvmStep::Read,
            status: NvmStatus::Error,
            offset,
        }) => assert!(offset > 0, "failed mid-read, at {offset}"),
        other => panic!("expected a read status error, got {other:?}"),
    }
    assert_eq!(
        nvm_ops(&emu).last(),
        Some(&NvmOperation::Close),
        "the NVM is closed after the failure"
    );
    // The stick is usable and a second backup works.
    emu.clear_override();
    let again = timeout(soon(), stick.backup_nvm())
        .await
        .expect("no hang")
        .expect("backup succeeds");
    assert_eq!(again.data.len(), usize::from(NVM_SIZE_700));
}

#[tokio::test]
async fn a_chunk_from_the_wrong_offset_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let (emu, stick) = started(dir.path(), home_700(), Duration::from_secs(5)).await;
    let mut reads = 0;
    emu.set_override(move |m| {
        if is_read(m) {
            reads += 1;
            if reads == 3 {
                return nvm_answer(NvmResponse {
                    status: NvmStatus::Ok,
                    offset_or_size: 0,
                    data: vec![0xAB; 16],
                });
            }
        }
        Override::Default
    });
    let result = timeout(soon(), stick.backup_nvm()).await.expect("no hang");
    assert!(
        matches!(result, Err(NvmError::BadChunk { at: 0, got: 16, offset }) if offset > 0),
        "{result:?}"
    );
    assert_eq!(nvm_ops(&emu).last(), Some(&NvmOperation::Close));
}

#[tokio::test]
async fn a_stick_unplugged_during_a_backup_fails_it_cleanly() {
    let dir = tempfile::tempdir().expect("tmp");
    // A long response timeout: the failure must come from the unplug, not from a timeout.
    let (emu, stick) = started(dir.path(), home_700(), Duration::from_secs(20)).await;
    let (hit_tx, hit_rx) = tokio::sync::oneshot::channel();
    let hit_tx = Arc::new(Mutex::new(Some(hit_tx)));
    let mut reads = 0;
    emu.set_override(move |m| {
        if is_read(m) {
            reads += 1;
            if reads == 4 {
                if let Some(tx) = hit_tx.lock().expect("lock").take() {
                    let _ = tx.send(());
                }
                return Override::Silent;
            }
        }
        Override::Default
    });
    let backup = tokio::spawn(async move {
        let result = stick.backup_nvm().await;
        (stick, result)
    });
    timeout(soon(), hit_rx)
        .await
        .expect("the backup reaches its fourth read")
        .expect("signalled");
    emu.unplug().await;
    let (_stick, result) = timeout(soon(), backup)
        .await
        .expect("the backup gives up in time")
        .expect("task");
    assert!(
        matches!(result, Err(NvmError::Stick(Error::StickLost))),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_size_of_zero_means_64_kib_and_an_early_end_of_file_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let (emu, stick) = started(dir.path(), home_700(), Duration::from_secs(5)).await;
    // Silicon Labs' firmware answers Open with size 0 for a 64 KiB NVM; this chip's NVM is
    // smaller, so its end of file comes before the 64 KiB the host now expects. The chip's NVM
    // is opened first behind the override's back, so its reads are served.
    let open = HostMessage::Unknown {
        function: NVM_BACKUP_RESTORE,
        payload: NvmOperation::Open.encode().expect("encodes"),
    };
    emu.with_stick(|s| s.controller_mut().handle(&open));
    emu.set_override(|m| match m {
        HostMessage::Unknown {
            function: NVM_BACKUP_RESTORE,
            payload,
        } if payload[..] == [0x00] => nvm_answer(NvmResponse {
            status: NvmStatus::Ok,
            offset_or_size: 0,
            data: Vec::new(),
        }),
        _ => Override::Default,
    });
    let result = timeout(soon(), stick.backup_nvm()).await.expect("no hang");
    assert!(
        matches!(
            result,
            Err(NvmError::EndedEarly {
                offset,
                size: 0x1_0000
            }) if offset == u32::from(NVM_SIZE_700)
        ),
        "{result:?}"
    );
    assert_eq!(nvm_ops(&emu).last(), Some(&NvmOperation::Close));
}

#[tokio::test]
async fn a_stick_without_an_nvm_interface_says_so() {
    let dir = tempfile::tempdir().expect("tmp");
    let (emu, stick) = started(dir.path(), home_700(), Duration::from_secs(5)).await;
    // The same capabilities, without NVM Backup/Restore.
    let mut capabilities = emu.with_stick(|s| {
        match &s
            .controller_mut()
            .handle(&HostMessage::GetSerialApiCapabilities)[..]
        {
            [StickMessage::SerialApiCapabilities(c)] => c.clone(),
            other => panic!("{other:?}"),
        }
    });
    let bit = usize::from(NVM_BACKUP_RESTORE - 1);
    capabilities.supported_functions[bit / 8] &= !(1 << (bit % 8));
    assert!(!capabilities.supports(NVM_BACKUP_RESTORE));
    emu.set_override(move |m| match m {
        HostMessage::GetSerialApiCapabilities => {
            Override::Reply(vec![StickMessage::SerialApiCapabilities(
                capabilities.clone(),
            )])
        }
        _ => Override::Default,
    });
    let result = timeout(soon(), stick.backup_nvm()).await.expect("no hang");
    assert!(matches!(result, Err(NvmError::NotSupported)), "{result:?}");
    assert!(nvm_ops(&emu).is_empty(), "nothing was asked of the NVM");
}
