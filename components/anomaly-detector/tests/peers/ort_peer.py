#!/usr/bin/env python3
"""onnxruntime peer for the anomaly detector's parity test and benchmark (our script).

  ort_peer.py run   <model.onnx> <input.f32> <n> <w> <f> <out-dir>
      reads n x w x f float32 values (little endian), runs the model on one CPU thread and
      writes each output as <out-dir>/<name>.f32; prints the output names as JSON.
  ort_peer.py serve <model.onnx> <input.f32> <n> <w> <f>
      loads the model, prints {"loadMs", "onnxruntime"}, then answers one JSON line per command
      read from stdin, so a benchmark can interleave its own rounds with onnxruntime's:
        single <start> <count>   times <count> single-window session.run calls (windows start,
                                 start+1, ... mod n) and returns their durations in ns
        batch <seconds>          runs all n windows per call for <seconds>, returns windows and
                                 seconds
        quit
"""
import json
import os
import sys
import time

import numpy as np
import onnxruntime as ort


def session(path):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    t0 = time.perf_counter()
    s = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    return s, (time.perf_counter() - t0) * 1e3


def main():
    mode, model, data, n, w, f = sys.argv[1:7]
    n, w, f = int(n), int(w), int(f)
    x = np.fromfile(data, dtype="<f4").reshape(n, w, f)
    s, load_ms = session(model)
    name = s.get_inputs()[0].name
    if mode == "run":
        out_dir = sys.argv[7]
        outs = s.run(None, {name: x})
        names = [o.name for o in s.get_outputs()]
        for o, v in zip(names, outs):
            np.asarray(v, dtype="<f4").tofile(os.path.join(out_dir, f"{o}.f32"))
        print(json.dumps(names))
    elif mode == "serve":
        serve(s, name, x, n, load_ms)
    else:
        sys.exit(f"unknown mode {mode}")


def serve(s, name, x, n, load_ms):
    print(json.dumps({"loadMs": load_ms, "onnxruntime": ort.__version__}), flush=True)
    for line in sys.stdin:
        cmd = line.split()
        if not cmd or cmd[0] == "quit":
            return
        if cmd[0] == "single":
            start, count = int(cmd[1]), int(cmd[2])
            times = []
            for i in range(start, start + count):
                one = x[i % n : i % n + 1]
                t0 = time.perf_counter_ns()
                s.run(None, {name: one})
                times.append(time.perf_counter_ns() - t0)
            print(json.dumps({"ns": times}), flush=True)
        elif cmd[0] == "batch":
            secs = float(cmd[1])
            rounds = 0
            t0 = time.perf_counter()
            while time.perf_counter() - t0 < secs:
                s.run(None, {name: x})
                rounds += 1
            print(json.dumps({"windows": rounds * n, "seconds": time.perf_counter() - t0}), flush=True)
        else:
            print(json.dumps({"error": f"unknown command {cmd[0]}"}), flush=True)


if __name__ == "__main__":
    main()
