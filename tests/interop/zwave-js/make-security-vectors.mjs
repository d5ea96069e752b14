// Writes Z-Wave S2 and S0 vectors computed by zwave-js's own security code (@zwave-js/core:
// the CKDF operations, CtrDRBG, SecurityManager2, SecurityManager; @zwave-js/cc:
// Security2CCMessageEncapsulation, SecurityCCCommandEncapsulation), from fixed keys, entropy,
// home id, node ids and sequence numbers, so that sealhub's own S2/S0 code can be checked
// against another implementation (radios/tests/zwave_security_zwave_js.rs reads the output,
// recorded in radios/tests/vectors/zwave-js-security.txt).
//
// Usage (from this folder, after `npm ci`): node make-security-vectors.mjs > out.txt
// Output: `# comment` lines and `name = hex` lines; nothing else. Deterministic: running it
// twice gives the same bytes.
//
// Where each party's randomness comes from (the only inputs not written as constants):
// - S2 entropy inputs: a SecurityManager2 draws them from its CtrDRBG (`rng`), which the script
//   seeds with a fixed 32-byte value instead of random bytes. sealhub's S2Session draws its
//   entropy inputs from a CTR_DRBG seeded the same way, but draws a new peer's first sequence
//   number (one byte) from it before the peer's first entropy input; the sender here makes the
//   same one-byte draw so that both hold the same sender EI. The receiver EI is the receiver's
//   first draw on both sides (zwave-js generateNonce; sealhub S2Session::resync).
// - S2 sequence numbers: set in SecurityManager2.ownSequenceNumbers (zwave-js takes the first
//   from crypto.randomBytes).
// - S0 nonces: zwave-js takes the sender nonce from crypto.randomBytes; the script replaces
//   node:crypto's randomBytes while it serializes, to hand out nonces drawn from a CtrDRBG with
//   a fixed seed (as sealhub's S0Session draws its nonces). The receiver nonces come from a
//   second CtrDRBG, each the first 8 bytes of one 16-byte-block draw (as sealhub's).

import crypto from "node:crypto";
import {
	CtrDRBG,
	SecurityClass,
	SecurityManager,
	SecurityManager2,
	computeNoncePRK,
	computePRK,
	deriveMEI,
	deriveNetworkKeys,
	deriveSharedECDHSecret,
	deriveTempKeys,
	generateAuthKey,
	generateEncryptionKey,
	keyPairFromRawECDHPrivateKey,
} from "@zwave-js/core";
import {
	BasicCCSet,
	BinarySwitchCCSet,
	CommandClass,
	DoorLockCCOperationGet,
	DoorLockCCOperationSet,
	DoorLockMode,
	MultilevelSwitchCCSet,
	Security2CCMessageEncapsulation,
	SecurityCCCommandEncapsulation,
} from "@zwave-js/cc";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const versionOf = (pkg) => require(`${pkg}/package.json`).version;

const hex = (b) => Buffer.from(b).toString("hex");
const out = [];
const line = (name, value) => out.push(`${name} = ${hex(value)}`);
const comment = (text) => out.push(`# ${text}`);
const fill = (n, f) => Uint8Array.from({ length: n }, (_, i) => f(i));
const fail = (why) => {
	process.stderr.write(`make-security-vectors: ${why}\n`);
	process.exit(1);
};
const same = (a, b) => hex(a) === hex(b);

// ---- Fixed inputs -------------------------------------------------------------------------
const HOME_ID = 0xc0ffee01;
const CONTROLLER = 1;
const S2_NODE = 2;
const S0_NODE = 3;
const S2_NETWORK_KEY = fill(16, (i) => 0xa0 + i); // S2 Authenticated
const S0_NETWORK_KEY = fill(16, (i) => 0x10 * (i % 16) + (15 - i));
const PRIVATE_A = fill(32, (i) => 0x40 + i); // the including controller
const PRIVATE_B = fill(32, (i) => 0x80 + 3 * i); // the joining node
const SPAN_SENDER_EI = fill(16, (i) => 0x01 + i);
const SPAN_RECEIVER_EI = fill(16, (i) => 0xf0 - i);
const S2_SENDER_SEED = fill(32, (i) => 0x5a ^ i);
const S2_RECEIVER_SEED = fill(32, (i) => 0xa5 ^ (2 * i));
const S2_LAST_SEQ = 0x7e; // the next frame carries 0x7f
const S0_SENDER_SEED = fill(32, (i) => 0x33 + i);
const S0_RECEIVER_SEED = fill(32, (i) => 0xcc - i);

comment(`Z-Wave S2 / S0 vectors computed by zwave-js ${versionOf("zwave-js")}`
	+ ` (@zwave-js/core ${versionOf("@zwave-js/core")}, @zwave-js/cc ${versionOf("@zwave-js/cc")})`);
comment("with tests/interop/zwave-js/make-security-vectors.mjs; every byte below is zwave-js's output");
comment("or one of the script's fixed inputs (marked input_).");
comment("");

// ---- S2 key derivation (CKDF) --------------------------------------------------------------
comment("S2 CKDF: network keys from a permanent network key (deriveNetworkKeys)");
line("input_s2_network_key", S2_NETWORK_KEY);
const netKeys = await deriveNetworkKeys(S2_NETWORK_KEY);
line("network_ccm", netKeys.keyCCM);
line("network_mpan", netKeys.keyMPAN);
line("network_personalization", netKeys.personalizationString);

comment("S2 CKDF: temporary keys from an ECDH exchange (keyPairFromRawECDHPrivateKey,");
comment("deriveSharedECDHSecret, computePRK(shared, public A, public B), deriveTempKeys)");
line("input_private_a", PRIVATE_A);
line("input_private_b", PRIVATE_B);
const pairA = await keyPairFromRawECDHPrivateKey(PRIVATE_A);
const pairB = await keyPairFromRawECDHPrivateKey(PRIVATE_B);
line("public_a", pairA.publicKey);
line("public_b", pairB.publicKey);
const sharedAB = await deriveSharedECDHSecret({ privateKey: PRIVATE_A, publicKey: pairB.publicKey });
const sharedBA = await deriveSharedECDHSecret({ privateKey: PRIVATE_B, publicKey: pairA.publicKey });
if (!same(sharedAB, sharedBA)) fail("ECDH shared secrets differ");
line("shared_secret", sharedAB);
const prk = await computePRK(sharedAB, pairA.publicKey, pairB.publicKey);
line("prk", prk);
const tempKeys = await deriveTempKeys(prk);
line("temp_ccm", tempKeys.tempKeyCCM);
line("temp_personalization", tempKeys.tempPersonalizationString);
comment("");

// ---- SPAN nonces ---------------------------------------------------------------------------
comment("S2 SPAN: computeNoncePRK, deriveMEI, then SecurityManager2.initializeSPAN (S2 Authenticated,");
comment("the network key above) and nextNonce four times");
line("input_span_sender_ei", SPAN_SENDER_EI);
line("input_span_receiver_ei", SPAN_RECEIVER_EI);
const noncePRK = await computeNoncePRK(SPAN_SENDER_EI, SPAN_RECEIVER_EI);
line("nonce_prk", noncePRK);
line("mei", await deriveMEI(noncePRK));
{
	const sm = new SecurityManager2();
	await sm.rng.init(new Uint8Array(32));
	await sm.setKey(SecurityClass.S2_Authenticated, S2_NETWORK_KEY);
	await sm.initializeSPAN(S2_NODE, SecurityClass.S2_Authenticated, SPAN_SENDER_EI, SPAN_RECEIVER_EI);
	for (let i = 0; i < 4; i++) line(`span_nonce_${i}`, await sm.nextNonce(S2_NODE));
}
comment("");

// ---- S2 Message Encapsulation --------------------------------------------------------------
comment(`S2 Message Encapsulation from node ${CONTROLLER} to node ${S2_NODE}, home id ${HOME_ID.toString(16)},`);
comment("under the S2 Authenticated network key above. The receiver's SecurityManager2 (rng seeded");
comment("with input_s2_receiver_seed) answers a Nonce Get with generateNonce: receiver_ei. The sender's");
comment("(rng seeded with input_s2_sender_seed, one byte drawn first) takes it as the remote EI; its");
comment("first frame carries the SPAN extension with its sender EI, the next ones none.");
comment("Security2CCMessageEncapsulation.serialize; each frame parsed back by the receiver's zwave-js.");
line("input_home_id", Uint8Array.of(HOME_ID >>> 24, (HOME_ID >>> 16) & 0xff, (HOME_ID >>> 8) & 0xff, HOME_ID & 0xff));
line("input_s2_sender_seed", S2_SENDER_SEED);
line("input_s2_receiver_seed", S2_RECEIVER_SEED);
line("input_s2_last_sequence", Uint8Array.of(S2_LAST_SEQ));
{
	const receiver = new SecurityManager2();
	await receiver.rng.init(Uint8Array.from(S2_RECEIVER_SEED));
	await receiver.setKey(SecurityClass.S2_Authenticated, S2_NETWORK_KEY);
	const receiverEI = await receiver.generateNonce(CONTROLLER);
	line("s2_receiver_ei", receiverEI);

	const sender = new SecurityManager2();
	await sender.rng.init(Uint8Array.from(S2_SENDER_SEED));
	await sender.rng.generate(1);
	await sender.setKey(SecurityClass.S2_Authenticated, S2_NETWORK_KEY);
	sender.storeRemoteEI(S2_NODE, receiverEI);
	sender.ownSequenceNumbers.set(S2_NODE, S2_LAST_SEQ);

	const txCtx = {
		ownNodeId: CONTROLLER,
		homeId: HOME_ID,
		securityManager2: sender,
		getHighestSecurityClass: () => SecurityClass.S2_Authenticated,
		hasSecurityClass: () => true,
		setSecurityClass: () => {},
		getSupportedCCVersion: () => 1,
		getDeviceConfig: () => undefined,
	};
	const rxCtx = {
		...txCtx,
		ownNodeId: S2_NODE,
		sourceNodeId: CONTROLLER,
		securityManager2: receiver,
		frameType: "singlecast",
		__internalIsMockNode: false,
	};
	const commands = [
		["basic_set", new BasicCCSet({ nodeId: S2_NODE, targetValue: 0xff })],
		["binary_switch_set", new BinarySwitchCCSet({ nodeId: S2_NODE, targetValue: false })],
		["multilevel_switch_set", new MultilevelSwitchCCSet({ nodeId: S2_NODE, targetValue: 42 })],
	];
	let i = 0;
	for (const [name, cc] of commands) {
		const plain = await cc.serialize(txCtx);
		const enc = new Security2CCMessageEncapsulation({
			nodeId: S2_NODE,
			encapsulated: cc,
			securityClass: SecurityClass.S2_Authenticated,
		});
		const frame = await enc.serialize(txCtx);
		if (i === 0) {
			const ei = enc.getSenderEI();
			if (!ei) fail("first S2 frame carries no SPAN extension");
			line("s2_sender_ei", ei);
		} else if (enc.getSenderEI()) {
			fail(`S2 frame ${i} carries a SPAN extension`);
		}
		line(`s2_frame_${i}_command`, plain);
		line(`s2_frame_${i}_nonce`, enc.iv);
		line(`s2_frame_${i}_aad`, enc.authData);
		line(`s2_frame_${i}`, frame);
		comment(`s2_frame_${i}: ${name}, sequence ${enc.sequenceNumber}`);
		const parsed = await CommandClass.parse(frame, rxCtx);
		if (!same(parsed.plaintext, plain)) fail(`zwave-js did not decrypt its own S2 frame ${i}`);
		i++;
	}
}
comment("");

// ---- S0 ------------------------------------------------------------------------------------
comment("S0 keys (generateAuthKey, generateEncryptionKey) and Message Encapsulation from node");
comment(`${CONTROLLER} to node ${S0_NODE} (SecurityCCCommandEncapsulation.serialize with the receiver nonce set).`);
comment("Sender nonces: the first 8 bytes of successive generate(8) draws of a CtrDRBG seeded with");
comment("input_s0_sender_seed; receiver nonces likewise from input_s0_receiver_seed. Each frame");
comment("parsed back by the receiver's zwave-js SecurityManager holding that receiver nonce.");
line("input_s0_network_key", S0_NETWORK_KEY);
line("s0_auth_key", await generateAuthKey(S0_NETWORK_KEY));
line("s0_encryption_key", await generateEncryptionKey(S0_NETWORK_KEY));
line("input_s0_sender_seed", S0_SENDER_SEED);
line("input_s0_receiver_seed", S0_RECEIVER_SEED);
{
	const senderRng = new CtrDRBG();
	await senderRng.init(Uint8Array.from(S0_SENDER_SEED));
	const receiverRng = new CtrDRBG();
	await receiverRng.init(Uint8Array.from(S0_RECEIVER_SEED));
	const sender = new SecurityManager({ networkKey: S0_NETWORK_KEY, ownNodeId: CONTROLLER, nonceTimeout: 10_000 });
	const receiver = new SecurityManager({ networkKey: S0_NETWORK_KEY, ownNodeId: S0_NODE, nonceTimeout: 10_000 });
	const txCtx = {
		ownNodeId: CONTROLLER,
		homeId: HOME_ID,
		securityManager: sender,
		getSupportedCCVersion: () => 1,
		getDeviceConfig: () => undefined,
	};
	const rxCtx = { ...txCtx, ownNodeId: S0_NODE, sourceNodeId: CONTROLLER, securityManager: receiver, frameType: "singlecast" };
	const commands = [
		["door_lock_operation_set", new DoorLockCCOperationSet({ nodeId: S0_NODE, mode: DoorLockMode.Secured })],
		["door_lock_operation_get", new DoorLockCCOperationGet({ nodeId: S0_NODE })],
		["basic_set", new BasicCCSet({ nodeId: S0_NODE, targetValue: 0x63 })],
	];
	const realRandomBytes = crypto.randomBytes;
	let i = 0;
	for (const [name, cc] of commands) {
		const receiverNonce = Buffer.from(await receiverRng.generate(8));
		const senderNonce = Buffer.from(await senderRng.generate(8));
		const plain = await cc.serialize(txCtx);
		const enc = new SecurityCCCommandEncapsulation({ nodeId: S0_NODE, encapsulated: cc });
		enc.nonce = receiverNonce;
		let handedOut = false;
		crypto.randomBytes = (n) => {
			if (handedOut || n !== 8) fail("unexpected randomBytes call while serializing S0");
			handedOut = true;
			return Buffer.from(senderNonce);
		};
		let frame;
		try {
			frame = await enc.serialize(txCtx);
		} finally {
			crypto.randomBytes = realRandomBytes;
		}
		if (!handedOut) fail("S0 serialize drew no sender nonce");
		line(`s0_frame_${i}_receiver_nonce`, receiverNonce);
		line(`s0_frame_${i}_sender_nonce`, senderNonce);
		line(`s0_frame_${i}_command`, plain);
		line(`s0_frame_${i}`, frame);
		comment(`s0_frame_${i}: ${name}`);
		receiver.setNonce(receiverNonce[0], { receiver: CONTROLLER, nonce: receiverNonce }, { free: false });
		const parsed = await CommandClass.parse(frame, rxCtx);
		if (!same(parsed.decryptedCCBytes, plain)) fail(`zwave-js did not decrypt its own S0 frame ${i}`);
		i++;
	}
}

process.stdout.write(out.join("\n") + "\n");
process.exit(0);
