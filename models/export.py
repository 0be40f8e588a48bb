"""ONNX export shared by the training scripts: the graph's fixed frame (one input `x`
[N, window, features], one output `contrib` [N, outputs], opset 17, IR 8), and writing
`model.onnx` and `model.json` with the ONNX file's SHA-256 in the manifest."""

from __future__ import annotations

import hashlib
import json
import os

import onnx
from onnx import TensorProto, helper


def model(nodes, inits, name: str, window: int, features: int, outputs: int) -> onnx.ModelProto:
    """The checked model of `nodes` reading `x` and writing `contrib`."""
    g = helper.make_graph(
        nodes,
        name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", window, features])],
        [helper.make_tensor_value_info("contrib", TensorProto.FLOAT, ["N", outputs])],
        inits,
    )
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], producer_name="smartfactory-train")
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


def save(m: onnx.ModelProto, manifest: dict, model_dir: str) -> dict:
    """Writes `model.onnx`, fills `manifest["onnxSha256"]` (keeping the key's place when the caller
    put it there), writes `model.json`, prints the manifest as one JSON line and returns it."""
    os.makedirs(model_dir, exist_ok=True)
    onnx_path = os.path.join(model_dir, "model.onnx")
    onnx.save(m, onnx_path)
    with open(onnx_path, "rb") as f:
        manifest["onnxSha256"] = hashlib.sha256(f.read()).hexdigest()
    with open(os.path.join(model_dir, "model.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    print(json.dumps(manifest))
    return manifest
