// Writes fuzz seeds for the `zwave_nvm` target (fuzz/seeds/zwave_nvm/nvm3-*) from a real
// 700-series NVM image: zwave-js's own NVM3 encoder (@zwave-js/nvmedit jsonToNVM, SDK 7.18.1,
// the version the emulated controller reports) builds the image of a small network (controller
// node 1, home id 0xC0FFEE01, three included nodes), which nvmToJSON reads back as a check.
// The seeds are the NVM Backup/Restore (0x2E) payloads a backup and a restore of that image
// carry, laid out as radios/src/zwave/serial/messages/nvm.rs reads them: the Open answer with
// the size, Read requests and answers (chunks of 255 bytes: the NVM3 page header, the first
// objects, a middle chunk, the last chunk with status 0xFF end of file), and Write requests of
// the same chunks (restore).
//
// Usage (from this folder, after `npm ci`): node make-nvm-seeds.mjs <output folder>
import fs from "node:fs";
import path from "node:path";
import { jsonToNVM, nvmToJSON } from "@zwave-js/nvmedit";

const out = process.argv[2];
if (!out) {
	process.stderr.write("usage: node make-nvm-seeds.mjs <output folder>\n");
	process.exit(2);
}

const cc = { includedInsecurely: [0x20, 0x25, 0x26], includedSecurelyInsecureCCs: [], includedSecurelySecureCCs: [] };
const node = (generic, specific, listening) => ({
	isListening: listening,
	isFrequentListening: false,
	isRouting: true,
	supportedDataRates: [40000, 100000],
	protocolVersion: 3,
	optionalFunctionality: true,
	nodeType: 1,
	supportsSecurity: true,
	supportsBeaming: true,
	genericDeviceClass: generic,
	specificDeviceClass: specific,
	neighbors: [1],
	sucUpdateIndex: 0,
	appRouteLock: false,
	routeSlaveSUC: false,
	sucPendingUpdate: false,
	pendingDiscovery: false,
	lwr: null,
	nlwr: null,
});

const json = {
	format: 5,
	controller: {
		protocolVersion: "7.18.1",
		applicationVersion: "7.18.1",
		homeId: "0xc0ffee01",
		nodeId: 1,
		lastNodeId: 4,
		staticControllerNodeId: 1,
		sucLastIndex: 0,
		controllerConfiguration: 0x28,
		sucUpdateEntries: [],
		maxNodeId: 4,
		reservedId: 0,
		systemState: 0,
		isListening: true,
		optionalFunctionality: true,
		genericDeviceClass: 0x02,
		specificDeviceClass: 0x07,
		commandClasses: cc,
		rfConfig: { rfRegion: 1, txPower: 0, measured0dBm: 0, enablePTI: null, maxTXPower: null, nodeIdType: null },
		preferredRepeaters: [],
		applicationData: null,
		applicationName: null,
	},
	nodes: {
		1: node(0x02, 0x07, true),
		2: node(0x10, 0x01, true),
		3: node(0x21, 0x01, false),
		4: node(0x40, 0x03, true),
	},
};

const image = await jsonToNVM(json, "7.18.1");
const back = await nvmToJSON(image);
if (back.controller.homeId !== "0xc0ffee01" || Object.keys(back.nodes).length !== 4) {
	process.stderr.write(`the image does not read back: ${JSON.stringify(back.controller)}\n`);
	process.exit(1);
}
if (image.length > 0x10000) {
	process.stderr.write(`image of ${image.length} bytes needs 32-bit offsets\n`);
	process.exit(1);
}

fs.mkdirSync(out, { recursive: true });
const write = (name, bytes) => fs.writeFileSync(path.join(out, name), Buffer.from(bytes));
const be16 = (n) => [(n >> 8) & 0xff, n & 0xff];

// Open: status OK, no data, the size (0 stands for 64 KiB).
write("nvm3-open-response", [0x00, 0x00, ...be16(image.length & 0xffff)]);
const CHUNK = 255;
// The NVM3 page header, the first objects, a chunk from the middle, and the last chunk.
const last = Math.floor((image.length - 1) / CHUNK) * CHUNK;
const offsets = [0, CHUNK, Math.floor(image.length / 2 / CHUNK) * CHUNK, last];
for (const offset of offsets) {
	const data = image.subarray(offset, Math.min(offset + CHUNK, image.length));
	const tag = offset.toString(16).padStart(4, "0");
	const status = offset === last ? 0xff : 0x00;
	write(`nvm3-read-request-${tag}`, [0x01, data.length, ...be16(offset)]);
	write(`nvm3-read-response-${tag}`, [status, data.length, ...be16(offset), ...data]);
	write(`nvm3-write-request-${tag}`, [0x02, data.length, ...be16(offset), ...data]);
}
write("nvm3-write-response", [0x00, 0x00, ...be16(0)]);
write("nvm3-close-request", [0x03]);
process.stdout.write(`NVM3 image of ${image.length} bytes; seeds for offsets ${offsets.join(", ")}\n`);
