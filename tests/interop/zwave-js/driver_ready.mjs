// Points zwave-js at a serial port (sealhub's emulated controller on a pty, or a real stick) and
// waits until zwave-js considers the controller usable ("driver ready").
//
// Usage: node driver_ready.mjs <serial-port-path> [--all-nodes-ready <ms>] [--timeout <ms>]
//                              [--log <file>]
//
// On success prints one JSON line to stdout and exits 0:
//   {"event":"driver ready","homeId":3237998146,"ownNodeId":1,"nodes":[1,2],...}
// and, with --all-nodes-ready <ms>, a second line once zwave-js says "all nodes ready", or once
// every node that is not asleep is ready ("awake nodes ready"), or when the bound runs out
// ("all nodes ready: bound reached"), with each node's interview state; running out of time is
// not a failure unless --require-all-nodes-ready is given.
// Anything else (driver error, timeout, exception) exits non-zero with the reason on stderr.
// A hard overall timeout (default 90 s) guarantees the process never hangs CI.
//
// Environment: ZWAVEJS_INTEROP_LOG=<file> is the same as --log (zwave-js' own log, level debug).

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { Driver, InterviewStage, NodeStatus } from "zwave-js";

function parseArgs(argv) {
    const opts = {
        port: undefined,
        timeoutMs: 90_000,
        allNodesReadyMs: 0,
        requireAllNodesReady: false,
        logFile: process.env.ZWAVEJS_INTEROP_LOG || undefined,
    };
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        const value = () => {
            const v = argv[++i];
            if (v === undefined) throw new Error(`${arg} needs a value`);
            return v;
        };
        switch (arg) {
            case "--timeout":
                opts.timeoutMs = Number(value());
                break;
            case "--all-nodes-ready":
                opts.allNodesReadyMs = Number(value());
                break;
            case "--require-all-nodes-ready":
                opts.requireAllNodesReady = true;
                break;
            case "--log":
                opts.logFile = value();
                break;
            default:
                if (arg.startsWith("--") || opts.port !== undefined) {
                    throw new Error(`unexpected argument ${arg}`);
                }
                opts.port = arg;
        }
    }
    if (!opts.port) throw new Error("usage: driver_ready.mjs <serial-port-path> [options]");
    for (const k of ["timeoutMs", "allNodesReadyMs"]) {
        if (!Number.isFinite(opts[k]) || opts[k] < 0) throw new Error(`bad ${k}`);
    }
    return opts;
}

// Fixed, public test keys: never use these on a real network.
const hexKey = (byte) => Buffer.alloc(16, byte);
const TEST_KEYS = {
    S2_AccessControl: hexKey(0xa1),
    S2_Authenticated: hexKey(0xa2),
    S2_Unauthenticated: hexKey(0xa3),
    S0_Legacy: hexKey(0xa0),
};

// Device classes are objects ({ key, label, … }) in zwave-js 15; keep the numeric key.
const classKey = (c) => (typeof c === "object" && c !== null ? c.key : c);

function nodeSummary(node) {
    return {
        id: node.id,
        status: NodeStatus[node.status] ?? node.status,
        ready: node.ready,
        interviewStage: InterviewStage[node.interviewStage] ?? node.interviewStage,
        isListening: node.isListening ?? null,
        deviceClass: node.deviceClass
            ? {
                  basic: classKey(node.deviceClass.basic),
                  generic: classKey(node.deviceClass.generic),
                  specific: classKey(node.deviceClass.specific),
              }
            : null,
        manufacturerId: node.manufacturerId ?? null,
        productType: node.productType ?? null,
        productId: node.productId ?? null,
        firmwareVersion: node.firmwareVersion ?? null,
        commandClasses: node
            .getSupportedCCInstances?.()
            ?.map((cc) => cc.ccId)
            .sort((a, b) => a - b) ?? null,
    };
}

async function main() {
    const opts = parseArgs(process.argv.slice(2));
    const cacheDir = mkdtempSync(join(tmpdir(), "zwave-js-interop-"));
    let driver;
    let settled = false;

    const cleanup = async () => {
        if (driver) {
            const d = driver;
            driver = undefined;
            // destroy() can itself wait on the port; never let it hang the exit.
            await Promise.race([
                d.destroy().catch(() => {}),
                new Promise((r) => setTimeout(r, 5_000).unref()),
            ]);
        }
        rmSync(cacheDir, { recursive: true, force: true });
    };

    const fail = async (reason) => {
        if (settled) return;
        settled = true;
        console.error(`driver_ready: FAILED: ${reason}`);
        await cleanup();
        process.exit(1);
    };

    const hardTimeout = setTimeout(() => {
        // Exit even if cleanup wedges.
        setTimeout(() => process.exit(2), 6_000).unref();
        void fail(`hard timeout after ${opts.timeoutMs} ms`);
    }, opts.timeoutMs);

    driver = new Driver(opts.port, {
        storage: { cacheDir, throttle: "fast" },
        logConfig: opts.logFile
            ? { enabled: true, level: "debug", logToFile: true, filename: opts.logFile, forceConsole: false }
            : { enabled: false },
        securityKeys: TEST_KEYS,
        // Short timeouts: the emulator answers in milliseconds; a missing answer should fail fast.
        timeouts: { response: 3_000, report: 2_000, serialAPIStarted: 2_000 },
        attempts: { controller: 2, sendData: 2, nodeInterview: 1 },
        interview: { queryAllUserCodes: false },
        features: { unresponsiveControllerRecovery: false, watchdog: false },
        // No network lookups from a test.
        userAgent: { "sealhub-interop": "0" },
    });

    driver.on("error", (err) => void fail(`driver error: ${err?.stack ?? err}`));

    const ready = new Promise((resolve) => driver.once("driver ready", resolve));
    const allNodesReady = new Promise((resolve) => driver.once("all nodes ready", resolve));

    const started = Date.now();
    await driver.start();
    await ready;
    const readyMs = Date.now() - started;

    const c = driver.controller;
    const report = {
        event: "driver ready",
        ms: readyMs,
        homeId: c.homeId,
        homeIdHex: c.homeId?.toString(16).padStart(8, "0"),
        ownNodeId: c.ownNodeId,
        nodes: [...c.nodes.keys()].sort((a, b) => a - b),
        sdkVersion: c.sdkVersion ?? null,
        firmwareVersion: c.firmwareVersion ?? null,
        manufacturerId: c.manufacturerId ?? null,
        productType: c.productType ?? null,
        productId: c.productId ?? null,
        type: c.type ?? null,
        isPrimary: c.isPrimary ?? null,
        isSUC: c.isSUC ?? null,
        sucNodeId: c.sucNodeId ?? null,
        rfRegion: c.rfRegion ?? null,
    };
    console.log(JSON.stringify(report));

    if (opts.allNodesReadyMs > 0) {
        // A sleeping node is interviewed only when it wakes up; waiting for it would always run
        // into the bound. So stop as soon as every node that is not asleep is ready.
        const awakeReady = () =>
            [...c.nodes.values()].every((n) => n.ready || n.status === NodeStatus.Asleep);
        let poll;
        const reached = await Promise.race([
            allNodesReady.then(() => "all nodes ready"),
            new Promise((r) => {
                poll = setInterval(() => awakeReady() && r("awake nodes ready"), 100);
            }),
            new Promise((r) => setTimeout(() => r(undefined), opts.allNodesReadyMs)),
        ]);
        clearInterval(poll);
        console.log(
            JSON.stringify({
                event: reached ?? "all nodes ready: bound reached",
                ms: Date.now() - started,
                nodes: [...c.nodes.values()].map(nodeSummary),
            }),
        );
        if (!reached && opts.requireAllNodesReady) {
            await fail(`"all nodes ready" not reached within ${opts.allNodesReadyMs} ms`);
            return;
        }
    }

    settled = true;
    clearTimeout(hardTimeout);
    await cleanup();
    process.exit(0);
}

main().catch((err) => {
    console.error(`driver_ready: FAILED: ${err?.stack ?? err}`);
    process.exit(1);
});
