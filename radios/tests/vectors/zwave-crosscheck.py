"""Independent recomputation of the Z-Wave S0/S2 compositions that have no published vector
here, with Python `cryptography` (AES-ECB, CMAC, AES-CCM). Run: python3 zwave-crosscheck.py
Writes the values that tests/zwave_security.rs asserts (zwave-crosscheck.txt). The formulas
follow zwave-js packages/core/src/crypto/operations.ts and security/Manager2.ts."""
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.cmac import CMAC
from cryptography.hazmat.primitives.ciphers.aead import AESCCM

def ecb(key, block):
    e = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return e.update(block) + e.finalize()

def cmac(key, msg):
    c = CMAC(algorithms.AES(key)); c.update(msg); return c.finalize()

def drbg_update(key, v, provided):
    temp = b""
    while len(temp) < 32:
        v = ((int.from_bytes(v, "big") + 1) % (1 << 128)).to_bytes(16, "big")
        temp += ecb(key, v)
    temp = bytes(a ^ b for a, b in zip(temp, provided))
    return temp[:16], temp[16:]

def drbg_new(entropy, pers):
    seed = bytes(a ^ b for a, b in zip(entropy, pers))
    return drbg_update(bytes(16), bytes(16), seed)

def drbg_generate(state, n):
    key, v = state
    out = b""
    while len(out) < n:
        v = ((int.from_bytes(v, "big") + 1) % (1 << 128)).to_bytes(16, "big")
        out += ecb(key, v)
    return out[:n], drbg_update(key, v, bytes(32))

out = []
shared, pub_a, pub_b = bytes(range(32)), bytes(range(32, 64)), bytes(range(64, 96))
prk = cmac(bytes([0x33] * 16), shared + pub_a + pub_b)
te = bytes([0x88] * 15)
t1 = cmac(prk, te + b"\x01"); t2 = cmac(prk, t1 + te + b"\x02"); t3 = cmac(prk, t2 + te + b"\x03")
out += [("prk", prk), ("temp_ccm", t1), ("temp_personalization", t2 + t3)]
pnk = bytes(range(16)); nk = bytes([0x55] * 15)
n1 = cmac(pnk, nk + b"\x01"); n2 = cmac(pnk, n1 + nk + b"\x02")
n3 = cmac(pnk, n2 + nk + b"\x03"); n4 = cmac(pnk, n3 + nk + b"\x04")
out += [("network_ccm", n1), ("network_personalization", n2 + n3), ("network_mpan", n4)]
sender_ei, receiver_ei = bytes([0x11] * 16), bytes([0x22] * 16)
nonce_prk = cmac(bytes([0x26] * 16), sender_ei + receiver_ei)
ei = bytes([0x88] * 15)
m1 = cmac(nonce_prk, ei + b"\x00" + ei + b"\x01"); m2 = cmac(nonce_prk, m1 + ei + b"\x02")
out += [("nonce_prk", nonce_prk), ("mei", m1 + m2)]
state = drbg_new(m1 + m2, n2 + n3)
for i in range(3):
    block, state = drbg_generate(state, 16)
    out.append((f"span_nonce_{i}", block[:13]))
s0_network_key = bytes(range(16))
out += [("s0_auth", ecb(s0_network_key, bytes([0x55] * 16))),
        ("s0_enc", ecb(s0_network_key, bytes([0xAA] * 16)))]
# S2-shaped CCM (13-byte nonce, 8-byte tag) under the derived network CCM key.
ccm_nonce, ccm_aad, ccm_msg = bytes(range(13)), bytes.fromhex("0102c0ffee"), b"Z-Wave S2 payload"
out.append(("s2_ccm_sealed", AESCCM(n1, tag_length=8).encrypt(ccm_nonce, ccm_msg, ccm_aad)))
for name, value in out:
    print(f"{name} = {value.hex()}")
