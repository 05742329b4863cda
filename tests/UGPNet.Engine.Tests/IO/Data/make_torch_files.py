"""Generates the small PyTorch checkpoints used by TorchCheckpointTests.

    python3 make_torch_files.py            # write torch_zip.pt, torch_zip_proto4.pt, torch_legacy.pt, torch_expected.json
    python3 make_torch_files.py check F..  # torch.load files written by our C# writers and print them

Only used to produce test data; the engine never runs Python.
"""
import collections
import json
import os
import sys
import zipfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
DTYPE_NAMES = {
    torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
    torch.int64: "I64", torch.int32: "I32", torch.uint8: "U8", torch.bool: "BOOL",
}


def build():
    base = torch.arange(24, dtype=torch.float32).reshape(2, 3, 4) * 0.5 - 3.0
    grid = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    state = collections.OrderedDict()
    state["conv.weight"] = base
    state["conv.bias"] = torch.tensor([0.25, -0.75], dtype=torch.float32)
    state["transposed"] = grid.t()                       # stride (1, 4), non-contiguous
    state["sliced"] = grid[1:, 2:]                       # storage offset 6, stride (4, 1)
    state["row_view"] = grid[2]                          # shares the storage of grid, offset 8
    state["half"] = torch.tensor([[0.5, -1.25, 65504.0], [6.1035e-05, 3.0, -0.0]], dtype=torch.float16)
    state["bf16"] = torch.tensor([1.0, -2.5, 3.140625], dtype=torch.bfloat16)
    state["double"] = torch.tensor([1.5, -2.25], dtype=torch.float64)
    state["bn.num_batches_tracked"] = torch.tensor(12345, dtype=torch.int64)
    state["int32"] = torch.tensor([[-7, 8]], dtype=torch.int32)
    state["mask"] = torch.tensor([True, False, True])
    state["empty"] = torch.zeros(0, 3)
    state["param"] = torch.nn.Parameter(torch.tensor([[1.0, 2.0]]))
    return {
        "params_ema": state,
        "params": collections.OrderedDict([("w", torch.tensor([9.0]))]),
        "iter": 7,
        "lr": 0.5,
        "name": "ugpnet",
        "flag": True,
        "nothing": None,
    }


def expected(obj, prefix=""):
    out = []
    for k, v in obj.items():
        name = f"{prefix}.{k}" if prefix else k
        if isinstance(v, dict):
            out += expected(v, name)
        elif isinstance(v, torch.Tensor):
            v = v.detach()
            out.append({"name": name, "dtype": DTYPE_NAMES[v.dtype], "shape": list(v.shape),
                        "data": [float(x) for x in v.to(torch.float64).flatten().tolist()]})
    return out


def main():
    obj = build()
    torch.save(obj, os.path.join(HERE, "torch_zip.pt"))
    torch.save(obj, os.path.join(HERE, "torch_legacy.pt"), _use_new_zipfile_serialization=False)
    # Protocol 4 exercises FRAME, MEMOIZE, SHORT_BINUNICODE and STACK_GLOBAL.
    torch.save(obj, os.path.join(HERE, "torch_zip_proto4.pt"), pickle_protocol=4)
    with open(os.path.join(HERE, "torch_expected.json"), "w") as f:
        json.dump({"torch": torch.__version__, "arrays": expected(obj)}, f, indent=1)
    print("wrote files with torch", torch.__version__)


def check(paths):
    for p in paths:
        obj = torch.load(p, map_location="cpu")
        print(p, type(obj).__name__)
        def show(o, indent=""):
            for k, v in o.items():
                if isinstance(v, dict):
                    print(f"{indent}{k}: {type(v).__name__}")
                    show(v, indent + "  ")
                elif isinstance(v, torch.Tensor):
                    print(f"{indent}{k}: {v.dtype} {list(v.shape)} {v.flatten()[:6].tolist()}")
                else:
                    print(f"{indent}{k}: {v!r}")
        show(obj, "  ")
        if zipfile.is_zipfile(p):
            bad = zipfile.ZipFile(p).testzip()
            print("  zip CRC check:", "ok" if bad is None else f"BAD entry {bad}")
        ref = build()
        if isinstance(obj, dict) and obj.keys() == ref.keys():
            same = expected(obj) == expected(ref) and all(
                type(obj[k]) is type(ref[k]) and (isinstance(ref[k], dict) or obj[k] == ref[k]) for k in ref)
            print("  identical to the torch.save original:", same)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "check":
        check(sys.argv[2:])
    else:
        main()
