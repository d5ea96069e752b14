// Includes secure nodes through a Z-Wave controller with zwave-js (sealhub's emulated controller
// on a pty, or a real stick with real devices), the way Z-Wave JS UI does it: classic inclusion
// (AddNodeToNetwork), then S2 bootstrapping with the user granting the requested classes and
// typing the DSK PIN, or S0 bootstrapping; then the interview; then, if asked, a Multilevel
// Switch Set and a Get to read the level back.
//
// Usage: node include_secure.mjs <serial-port-path> --include <spec> [--include <spec> ...]
//                                [--timeout <ms>] [--interview-timeout <ms>] [--log <file>]
//   <spec> = <name>:<strategy>[:<pin>][:pin-delay=<ms>][:level=<0..99>][:door=<mode>]
//                                 [:switch=on|off]
//     name      a label echoed in the output (the caller uses it to put that node in learn mode)
//     strategy  s2 (InclusionStrategy.Security_S2), s0 (Security_S0) or default (Default)
//     pin       the 5-digit PIN typed when zwave-js asks to validate the DSK
//     pin-delay how long the user takes to type it (zwave-js has already sent its public key,
//               so the node's first KEX Set echo comes before the PIN and is ignored; the
//               node's repeat carries bootstrapping on)
//     level     after the interview: Multilevel Switch Set to this level, then Get
//     door      after the interview: Door Lock Operation Set to this mode (0 unsecured,
//               255 secured), then Get
//     switch    after the interview: Binary Switch Set on or off, then Get
// Nodes are included one after the other, in the order given.
//
// Prints JSON lines to stdout, the caller's cue and its evidence:
//   {"event":"driver ready",...}
//   {"event":"inclusion started","name":"lock","strategy":"Security_S2"}   <- put the node in learn mode now
//   {"event":"grant","name":"lock","requested":["S2_AccessControl",...]}
//   {"event":"dsk","name":"lock","dsk":"-12345-..."}                          (S2 authenticated classes)
//   {"event":"node added","name":"lock","id":2,"lowSecurity":false,"lowSecurityReason":null,
//    "highestSecurityClass":"S2_AccessControl","securityClasses":{...}}
//   {"event":"node interviewed","name":"lock","id":2,"ready":true,...,"commandClasses":[...]}
//   {"event":"level","name":"dimmer","id":4,"set":42,"read":42}
//   {"event":"door","name":"lock","id":2,"set":0,"read":0}
//   {"event":"switch","name":"siren","id":3,"set":true,"read":true}
//   {"event":"done"}
// Exits 0 after "done"; anything unexpected (driver error, inclusion that never finishes, a CC
// call that throws, the hard timeout) exits non-zero with the reason on stderr. A node whose
// bootstrapping fails is not an error here: "node added" says lowSecurity and why, and the
// caller decides.
//
// Environment: ZWAVEJS_INTEROP_LOG=<file> is the same as --log (zwave-js' own log, level debug).
// ZWAVEJS_CACHE_DIR=<dir> keeps zwave-js' network cache there (instead of a temporary directory
// removed at the end) and writes the network keys it used into <dir>/keys.json, as the
// `securityKeys` object a user of Z-Wave JS gives the driver.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import {
    Driver,
    InclusionStrategy,
    InterviewStage,
    NodeStatus,
    SecurityBootstrapFailure,
} from "zwave-js";

const STRATEGIES = {
    s2: InclusionStrategy.Security_S2,
    s0: InclusionStrategy.Security_S0,
    default: InclusionStrategy.Default,
};

function parseInclude(spec) {
    const [name, strategy, ...rest] = spec.split(":");
    if (!name || !(strategy in STRATEGIES)) throw new Error(`bad --include ${spec}`);
    const out = { name, strategy, pin: undefined, pinDelayMs: 0, level: undefined, door: undefined, switch: undefined };
    for (const part of rest) {
        if (/^\d{5}$/.test(part)) out.pin = part;
        else if (/^pin-delay=\d{1,6}$/.test(part)) out.pinDelayMs = Number(part.slice(10));
        else if (/^level=\d{1,2}$/.test(part)) out.level = Number(part.slice(6));
        else if (/^door=\d{1,3}$/.test(part)) out.door = Number(part.slice(5));
        else if (/^switch=(on|off)$/.test(part)) out.switch = part === "switch=on";
        else throw new Error(`bad --include ${spec}: ${part}`);
    }
    return out;
}

function parseArgs(argv) {
    const opts = {
        port: undefined,
        timeoutMs: 150_000,
        interviewTimeoutMs: 60_000,
        includes: [],
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
            case "--interview-timeout":
                opts.interviewTimeoutMs = Number(value());
                break;
            case "--include":
                opts.includes.push(parseInclude(value()));
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
    if (!opts.port || opts.includes.length === 0) {
        throw new Error("usage: include_secure.mjs <serial-port-path> --include <spec> ...");
    }
    for (const k of ["timeoutMs", "interviewTimeoutMs"]) {
        if (!Number.isFinite(opts[k]) || opts[k] <= 0) throw new Error(`bad ${k}`);
    }
    return opts;
}

// Fixed, public test keys (the same as driver_ready.mjs): never use these on a real network.
const hexKey = (byte) => Buffer.alloc(16, byte);
const TEST_KEYS = {
    S2_AccessControl: hexKey(0xa1),
    S2_Authenticated: hexKey(0xa2),
    S2_Unauthenticated: hexKey(0xa3),
    S0_Legacy: hexKey(0xa0),
};

// zwave-js' SecurityClass enum (from @zwave-js/core, which "zwave-js" does not re-export; its
// values are the protocol's and fixed).
const SecurityClass = {
    S2_Unauthenticated: 0,
    S2_Authenticated: 1,
    S2_AccessControl: 2,
    S0_Legacy: 7,
    0: "S2_Unauthenticated",
    1: "S2_Authenticated",
    2: "S2_AccessControl",
    7: "S0_Legacy",
    [-1]: "None",
    [-2]: "Temporary",
};
const MULTILEVEL_SWITCH_CC = 0x26;

const emit = (obj) => console.log(JSON.stringify(obj));
const className = (c) => SecurityClass[c] ?? String(c);

function securitySummary(node) {
    const classes = {};
    for (const c of [
        SecurityClass.S2_AccessControl,
        SecurityClass.S2_Authenticated,
        SecurityClass.S2_Unauthenticated,
        SecurityClass.S0_Legacy,
    ]) {
        classes[className(c)] = node.hasSecurityClass(c) ?? null;
    }
    const highest = node.getHighestSecurityClass();
    return {
        highestSecurityClass: highest === undefined ? null : className(highest),
        securityClasses: classes,
    };
}

function nodeSummary(node) {
    return {
        id: node.id,
        status: NodeStatus[node.status] ?? node.status,
        ready: node.ready,
        interviewStage: InterviewStage[node.interviewStage] ?? node.interviewStage,
        ...securitySummary(node),
        commandClasses: node
            .getSupportedCCInstances?.()
            ?.map((cc) => cc.ccId)
            .sort((a, b) => a - b) ?? null,
        secureCommandClasses: [...node.implementedCommandClasses.entries()]
            .filter(([, info]) => info.isSupported && info.secure)
            .map(([cc]) => cc)
            .sort((a, b) => a - b),
    };
}

/** Resolves with the first of `events` that `emitter` emits, or rejects after `ms`. */
function once(emitter, events, ms, what) {
    return new Promise((resolve, reject) => {
        const handlers = {};
        const done = () => {
            clearTimeout(timer);
            for (const [e, h] of Object.entries(handlers)) emitter.off(e, h);
        };
        const timer = setTimeout(() => {
            done();
            reject(new Error(`${what}: nothing within ${ms} ms`));
        }, ms);
        for (const e of events) {
            handlers[e] = (...args) => {
                done();
                resolve({ event: e, args });
            };
            emitter.on(e, handlers[e]);
        }
    });
}

async function includeOne(driver, spec, opts) {
    const c = driver.controller;
    const strategy = STRATEGIES[spec.strategy];
    const userCallbacks = {
        grantSecurityClasses: async (requested) => {
            emit({
                event: "grant",
                name: spec.name,
                requested: requested.securityClasses.map(className),
                clientSideAuth: requested.clientSideAuth,
            });
            // The user grants what the device asks for.
            return requested;
        },
        validateDSKAndEnterPIN: async (dsk) => {
            emit({ event: "dsk", name: spec.name, dsk });
            if (spec.pinDelayMs > 0) await new Promise((r) => setTimeout(r, spec.pinDelayMs));
            // No PIN given: the user cancels.
            return spec.pin ?? false;
        },
        abort: () => emit({ event: "bootstrap aborted", name: spec.name }),
    };
    const options =
        strategy === InclusionStrategy.Security_S0
            ? { strategy }
            : { strategy, userCallbacks };

    const added = once(c, ["node added", "inclusion failed"], opts.interviewTimeoutMs, "inclusion");
    const started = await c.beginInclusion(options);
    if (!started) throw new Error(`inclusion of ${spec.name} did not start`);
    emit({ event: "inclusion started", name: spec.name, strategy: InclusionStrategy[strategy] });

    const outcome = await added;
    if (outcome.event !== "node added") throw new Error(`inclusion of ${spec.name} failed`);
    const [node, result] = outcome.args;
    emit({
        event: "node added",
        name: spec.name,
        id: node.id,
        lowSecurity: result.lowSecurity,
        lowSecurityReason:
            result.lowSecurityReason === undefined
                ? null
                : SecurityBootstrapFailure[result.lowSecurityReason],
        ...securitySummary(node),
    });

    // The interview starts on its own after "node added".
    if (!node.ready) {
        await once(node, ["ready"], opts.interviewTimeoutMs, `interview of ${spec.name}`);
    }
    emit({ event: "node interviewed", name: spec.name, ...nodeSummary(node) });

    if (spec.level !== undefined) {
        const api = node.commandClasses["Multilevel Switch"];
        await api.set(spec.level);
        const read = await api.get();
        emit({
            event: "level",
            name: spec.name,
            id: node.id,
            set: spec.level,
            read: read?.currentValue ?? null,
            supported: node.supportsCC(MULTILEVEL_SWITCH_CC),
        });
    }

    if (spec.door !== undefined) {
        const api = node.commandClasses["Door Lock"];
        await api.set(spec.door);
        const read = await api.get();
        emit({
            event: "door",
            name: spec.name,
            id: node.id,
            set: spec.door,
            read: read?.currentMode ?? null,
        });
    }

    if (spec.switch !== undefined) {
        const api = node.commandClasses["Binary Switch"];
        await api.set(spec.switch);
        const read = await api.get();
        emit({
            event: "switch",
            name: spec.name,
            id: node.id,
            set: spec.switch,
            read: read?.currentValue ?? null,
        });
    }
}

async function main() {
    const opts = parseArgs(process.argv.slice(2));
    const keptCacheDir = process.env.ZWAVEJS_CACHE_DIR;
    const cacheDir = keptCacheDir ?? mkdtempSync(join(tmpdir(), "zwave-js-interop-"));
    if (keptCacheDir) {
        const hex = Object.fromEntries(Object.entries(TEST_KEYS).map(([k, v]) => [k, v.toString("hex")]));
        writeFileSync(join(cacheDir, "keys.json"), `${JSON.stringify(hex, null, 2)}\n`);
    }
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
        if (!keptCacheDir) rmSync(cacheDir, { recursive: true, force: true });
    };

    const fail = async (reason) => {
        if (settled) return;
        settled = true;
        console.error(`include_secure: FAILED: ${reason}`);
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
        // The emulator answers in milliseconds; these are bounds for a loaded machine, and every
        // question the emulated nodes cannot answer would cost one.
        timeouts: { response: 5_000, report: 5_000, serialAPIStarted: 2_000 },
        attempts: { controller: 2, sendData: 2, nodeInterview: 1 },
        interview: { queryAllUserCodes: false },
        features: { unresponsiveControllerRecovery: false, watchdog: false },
        // No network lookups from a test.
        userAgent: { "sealhub-interop": "0" },
    });
    driver.on("error", (err) => void fail(`driver error: ${err?.stack ?? err}`));

    const ready = new Promise((resolve) => driver.once("driver ready", resolve));
    await driver.start();
    await ready;
    const c = driver.controller;
    emit({
        event: "driver ready",
        homeId: c.homeId,
        ownNodeId: c.ownNodeId,
        nodes: [...c.nodes.keys()].sort((a, b) => a - b),
    });

    for (const spec of opts.includes) {
        try {
            await includeOne(driver, spec, opts);
        } catch (e) {
            await fail(`${spec.name}: ${e?.stack ?? e}`);
            return;
        }
    }
    emit({ event: "done" });

    settled = true;
    clearTimeout(hardTimeout);
    await cleanup();
    process.exit(0);
}

main().catch((err) => {
    console.error(`include_secure: FAILED: ${err?.stack ?? err}`);
    process.exit(1);
});
