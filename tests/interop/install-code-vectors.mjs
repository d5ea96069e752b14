// Prints install-code vectors computed by zigbee-herdsman's own code (the version pinned in
// package-lock.json): for each install code (without its CRC), herdsman's CRC-16/X-25
// (zspec crc16X25, written little-endian after the code, as herdsman's checkInstallCode does),
// whether checkInstallCode(code + CRC, adjust = false) accepts it, and the link key its ember
// adapter derives (zspec aes128MmoHash over code + CRC). Recorded in
// radios/tests/vectors/install-codes.md. Usage: node install-code-vectors.mjs
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { crc16X25, aes128MmoHash } = require("zigbee-herdsman/dist/zspec/utils.js");
const { checkInstallCode } = require("zigbee-herdsman/dist/controller/helpers/installCodes.js");
const version = require("zigbee-herdsman/package.json").version;

const codes = process.argv.slice(2);
console.log(`# zigbee-herdsman ${version}`);
for (const hex of codes) {
	const code = Buffer.from(hex, "hex");
	const crc = crc16X25(code);
	const withCrc = Buffer.alloc(code.length + 2);
	code.copy(withCrc);
	withCrc.writeUInt16LE(crc, code.length);
	checkInstallCode(withCrc, false); // throws if herdsman refuses it
	const bad = Buffer.from(withCrc);
	bad[bad.length - 1] ^= 0x01;
	let refused = false;
	try {
		checkInstallCode(bad, false);
	} catch {
		refused = true;
	}
	if (!refused) throw new Error("herdsman accepted a wrong CRC");
	console.log(`${code.length} ${withCrc.toString("hex").toUpperCase()} ${aes128MmoHash(withCrc).toString("hex").toUpperCase()}`);
}
