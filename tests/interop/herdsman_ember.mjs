// zigbee-herdsman (the engine of Zigbee2MQTT), ember adapter, against an emulated EZSP stick.
//
// Usage: node herdsman_ember.mjs <pty path>
//
// Starts a herdsman Controller on the stick (forming the network, or resuming it), checks the
// network it reports is the one configured, opens the network for joining and closes it again,
// and stops. With EXPECT_DEVICE=<ieee, 0x + 16 hex digits> set, it waits while the network is
// open for that device to join and for herdsman's interview of it to succeed (up to
// EXPECT_DEVICE_MS, default 20 s), then toggles it (genOnOff toggle) and reads onOff back if it
// has On/Off, reads its IAS zone's enrolment if it has one, and reports what herdsman learned.
// With EXPECT_DEVICES=<ieee>,<ieee>,... (EXPECT_DEVICE may be set too; both lists count) it waits
// for every one of them to be interviewed (up to EXPECT_DEVICE_MS in all), failing with the list of
// those whose interview did not succeed, prints one {"device": ...} JSON line per device, and, with
// TOGGLE_DEVICE=<ieee> (one of them), reads that device's onOff, toggles it and reads it back.
// The last JSON line on stdout is the run's result; it exits 0 only if every step passed.
// herdsman's own log goes to stderr (HERDSMAN_LOG=info|debug, default debug), so the caller can
// show it when the run fails. With HERDSMAN_DATA_DIR=<dir> herdsman keeps its files there
// (database.db, coordinator_backup.json, as in a Zigbee2MQTT data directory) instead of in a
// temporary directory removed at the end. A hard timeout (INTEROP_TIMEOUT_MS, default 60 s) ends the process
// whatever herdsman is waiting for, so it can never hang CI.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { Controller, setLogger } from "zigbee-herdsman";

const path = process.argv[2];
if (!path) {
    console.error("usage: node herdsman_ember.mjs <pty path>");
    process.exit(2);
}

const started = Date.now();
const result = { ok: false, path, steps: [] };
const keptDir = process.env.HERDSMAN_DATA_DIR;
const dir = keptDir ?? mkdtempSync(join(tmpdir(), "sealhub-herdsman-"));

function finish(ok, error) {
    result.ok = ok;
    if (error) {
        result.error = String(error?.stack ?? error);
    }
    result.elapsedMs = Date.now() - started;
    process.stdout.write(`${JSON.stringify(result)}\n`);
    try {
        if (!keptDir) rmSync(dir, { recursive: true, force: true });
    } catch {
        // a leftover temp dir is not worth failing for
    }
    process.exit(ok ? 0 : 1);
}

const timeoutMs = Number(process.env.INTEROP_TIMEOUT_MS ?? 60000);
setTimeout(() => finish(false, `hard timeout after ${timeoutMs} ms (last step: ${result.steps.at(-1) ?? "none"})`), timeoutMs).unref();

const level = process.env.HERDSMAN_LOG ?? "debug";
const log = (tag) => (message, namespace) => {
    const text = typeof message === "function" ? message() : message;
    process.stderr.write(`${new Date().toISOString()} ${tag} ${namespace}: ${text}\n`);
};
setLogger({
    debug: level === "debug" ? log("DEBUG") : () => {},
    info: log("INFO "),
    warning: log("WARN "),
    error: log("ERROR"),
});

// Fixed test network: nothing here is secret.
const network = {
    panID: 0x1a2b,
    extendedPanID: [0xdd, 0xcc, 0xbb, 0xaa, 0x44, 0x33, 0x22, 0x11],
    channelList: [15],
    networkKey: [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10],
};

function step(name) {
    result.steps.push(name);
    process.stderr.write(`${new Date().toISOString()} STEP  interop: ${name}\n`);
}

function check(condition, message) {
    if (!condition) {
        throw new Error(`check failed: ${message}`);
    }
}

/** What herdsman learned of a device in its interview. */
function describe(device) {
    return {
        ieeeAddr: device.ieeeAddr,
        networkAddress: device.networkAddress,
        type: device.type,
        manufacturerID: device.manufacturerID,
        manufacturerName: device.manufacturerName,
        modelID: device.modelID,
        powerSource: device.powerSource,
        interviewState: device.interviewState,
        endpoints: device.endpoints.map((e) => ({
            id: e.ID,
            profileId: e.profileID,
            deviceId: e.deviceID,
            inputClusters: e.inputClusters,
            outputClusters: e.outputClusters,
        })),
    };
}

async function main() {
    const controller = new Controller({
        network,
        serialPort: { path, adapter: "ember", baudRate: 115200, rtscts: false },
        databasePath: join(dir, "database.db"),
        databaseBackupPath: join(dir, "database.db.backup"),
        backupPath: join(dir, "coordinator_backup.json"),
        adapter: { concurrent: 8, disableLED: false },
        acceptJoiningDeviceHandler: async () => true,
    });
    controller.on("permitJoinChanged", (event) => {
        (result.permitJoinEvents ??= []).push(event);
    });
    const expected = process.env.EXPECT_DEVICE?.toLowerCase();
    const expectedAll = [
        ...new Set(
            [expected, ...(process.env.EXPECT_DEVICES ?? "").split(",")].map((ieee) => ieee?.trim().toLowerCase()).filter((ieee) => ieee),
        ),
    ];
    // Each expected device's interview, by IEEE address: the last status herdsman reported.
    const interviews = new Map(expectedAll.map((ieee) => [ieee, "not started"]));
    let allInterviewed;
    const everyInterviewed = new Promise((resolve) => {
        allInterviewed = resolve;
    });
    const events = (result.deviceEvents = []);
    const interviewed = new Promise((resolve, reject) => {
        controller.on("deviceJoined", ({ device }) => events.push(["joined", device.ieeeAddr, device.networkAddress]));
        controller.on("deviceAnnounce", ({ device }) => events.push(["announce", device.ieeeAddr, device.networkAddress]));
        controller.on("deviceInterview", ({ status, device }) => {
            events.push(["interview", status, device.ieeeAddr]);
            if (interviews.has(device.ieeeAddr) && interviews.get(device.ieeeAddr) !== "successful") {
                interviews.set(device.ieeeAddr, status);
                if ([...interviews.values()].every((s) => s === "successful")) {
                    allInterviewed();
                }
            }
            if (device.ieeeAddr !== expected) {
                return;
            }
            if (status === "successful") {
                resolve(device);
            } else if (status === "failed") {
                reject(new Error(`interview of ${device.ieeeAddr} failed`));
            }
        });
    });
    interviewed.catch(() => {}); // only awaited with EXPECT_DEVICE

    step("start");
    result.startResult = await controller.start();
    check(["reset", "resumed", "restored"].includes(result.startResult), `start result ${result.startResult}`);

    step("network parameters");
    const parameters = await controller.getNetworkParameters();
    result.network = { ...parameters };
    check(parameters.panID === network.panID, `PAN ID ${parameters.panID} != ${network.panID}`);
    check(parameters.channel === network.channelList[0], `channel ${parameters.channel} != ${network.channelList[0]}`);
    // herdsman reports the extended PAN ID as a number, most significant byte first, while
    // the option lists the bytes as they go on the wire (least significant first).
    const extended = `0x${Buffer.from(network.extendedPanID).reverse().toString("hex")}`;
    check(parameters.extendedPanID === extended, `extended PAN ID ${parameters.extendedPanID} != ${extended}`);

    step("coordinator");
    const version = await controller.getCoordinatorVersion();
    result.coordinatorVersion = version;
    const coordinator = controller.getDevicesByType("Coordinator")[0];
    check(coordinator !== undefined, "no coordinator in the database");
    result.coordinator = {
        ieeeAddr: coordinator.ieeeAddr,
        endpoints: coordinator.endpoints.map((e) => ({
            id: e.ID,
            profileId: e.profileID,
            inputClusters: e.inputClusters.length,
            outputClusters: e.outputClusters.length,
        })),
    };
    check(coordinator.endpoints.length > 0, "coordinator interview found no endpoints");

    step("permit join 10 s");
    await controller.permitJoin(10);
    check(controller.getPermitJoin(), "permit join not reported open");

    if (expectedAll.length > 1) {
        step(`interview ${expectedAll.length} devices`);
        const waitMs = Number(process.env.EXPECT_DEVICE_MS ?? 20000);
        let timer;
        const finished = await Promise.race([
            everyInterviewed.then(() => true),
            new Promise((resolve) => {
                timer = setTimeout(() => resolve(false), waitMs);
            }),
        ]);
        clearTimeout(timer);
        result.interviews = Object.fromEntries(interviews);
        const unfinished = [...interviews].filter(([, status]) => status !== "successful");
        check(
            finished && unfinished.length === 0,
            `not every interview succeeded within ${waitMs} ms: ${unfinished.map(([ieee, status]) => `${ieee} (${status})`).join(", ")}`,
        );
        for (const ieee of expectedAll) {
            const device = controller.getDeviceByIeeeAddr(ieee);
            check(device, `${ieee} is not in herdsman's database`);
            process.stdout.write(`${JSON.stringify({ device: describe(device) })}\n`);
        }
        const toggled = process.env.TOGGLE_DEVICE?.toLowerCase();
        if (toggled) {
            const endpoint = controller.getDeviceByIeeeAddr(toggled)?.getEndpoint(1);
            check(endpoint?.supportsInputCluster("genOnOff"), `${toggled} has no genOnOff on endpoint 1`);
            step(`read onOff of ${toggled}`);
            const before = (await endpoint.read("genOnOff", ["onOff"])).onOff;
            step(`toggle ${toggled}`);
            await endpoint.command("genOnOff", "toggle", {});
            step(`read onOff of ${toggled} again`);
            const after = (await endpoint.read("genOnOff", ["onOff"])).onOff;
            result.toggle = { ieeeAddr: toggled, onOffBefore: before, onOffAfter: after };
            check(before !== after, `onOff of ${toggled} did not change (${before} -> ${after})`);
        }
    } else if (expected) {
        step(`interview ${expected}`);
        const waitMs = Number(process.env.EXPECT_DEVICE_MS ?? 20000);
        const device = await Promise.race([
            interviewed,
            new Promise((_, reject) => setTimeout(() => reject(new Error(`no successful interview of ${expected} within ${waitMs} ms`)), waitMs)),
        ]);
        result.device = describe(device);

        const endpoint = device.getEndpoint(1);
        check(endpoint, "device has no endpoint 1");
        if (endpoint.supportsInputCluster("genOnOff")) {
            // The issue's interop goal: toggle the bulb, then read its state back.
            step(`toggle ${expected}`);
            await endpoint.command("genOnOff", "toggle", {});
            step(`read onOff of ${expected}`);
            const state = await endpoint.read("genOnOff", ["onOff"]);
            result.onOffAfterToggle = state.onOff;
            // As Zigbee2MQTT's converters do before reporting: bind the cluster to the
            // coordinator's endpoint (ZDO Bind_req), configure reporting, then a change is
            // reported to herdsman.
            step(`bind and configure onOff reporting of ${expected}`);
            await endpoint.bind("genOnOff", coordinator.getEndpoint(1));
            await endpoint.configureReporting("genOnOff", [
                { attribute: "onOff", minimumReportInterval: 0, maximumReportInterval: 300, reportableChange: 0 },
            ]);
            const report = new Promise((resolve) => {
                controller.on("message", (m) => {
                    if (m.type === "attributeReport" && m.cluster === "genOnOff" && m.device.ieeeAddr === device.ieeeAddr) {
                        resolve(m.data.onOff);
                    }
                });
            });
            step(`toggle ${expected} and wait for its report`);
            await endpoint.command("genOnOff", "toggle", {});
            result.onOffReported = await Promise.race([
                report,
                new Promise((_, reject) => setTimeout(() => reject(new Error("no onOff report after bind")), 10000)),
            ]);
            result.bindings = device.getEndpoint(1).binds.map((b) => ({ cluster: b.cluster.name, target: b.target.deviceIeeeAddress ?? null }));
        }
        if (endpoint.supportsInputCluster("ssIasZone")) {
            // herdsman's interview enrols IAS zones; read back what the zone thinks.
            step(`read IAS zone of ${expected}`);
            const zone = await endpoint.read("ssIasZone", ["zoneState", "iasCieAddr", "zoneId"]);
            result.iasZone = { zoneState: zone.zoneState, iasCieAddr: zone.iasCieAddr, zoneId: zone.zoneId };
        }
    }

    step("permit join off");
    await controller.permitJoin(0);
    check(!controller.getPermitJoin(), "permit join not reported closed");

    step("stop");
    await controller.stop();
    step("stopped");
}

main().then(
    () => finish(true),
    (error) => finish(false, error),
);
