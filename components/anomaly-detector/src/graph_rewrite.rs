//! Equivalent rewrites of a decoded ONNX graph before tract compiles it, for speed only.
//!
//! tract 0.23.9 runs a reduction over a middle axis (`ReduceMean` over the 60 steps of an
//! [N, 60, C] tensor, the PCA graph's last op) element by element: 7.5 µs of a 15 µs
//! single-window run. The same mean as a product with a constant [1, T] row of 1/T goes through
//! its packed matrix kernels in about 1 µs. The result differs only by float rounding (the sum
//! order); the parity test against onnxruntime checks it.

use tract_onnx::pb::{AttributeProto, GraphProto, ModelProto, NodeProto, TensorProto};
use tract_onnx::prelude::*;

/// ONNX `TensorProto.DataType.FLOAT`.
const ONNX_FLOAT: i32 = 1;

/// `proto` with every `ReduceMean` over axis 1 of a rank-3 input with a known length replaced by
/// `MatMul(row, x)` (+ `Flatten` when the axis is dropped), or `None` when nothing applies.
/// `typed` is the same graph, analysed, for the input shapes.
pub fn middle_axis_means_as_matmul(proto: &ModelProto, typed: &TypedModel) -> Option<ModelProto> {
    let graph = proto.graph.as_ref()?;
    let mut out = graph.clone();
    out.node.clear();
    let mut changed = false;
    for (ix, node) in graph.node.iter().enumerate() {
        match middle_axis_length(node, typed) {
            Some((steps, keep)) => {
                rewrite(&mut out, node, ix, steps, keep);
                changed = true;
            }
            None => out.node.push(node.clone()),
        }
    }
    changed.then(|| ModelProto {
        graph: Some(out),
        ..proto.clone()
    })
}

/// (axis length, keepdims) when `node` is a `ReduceMean` over axis 1 of a rank-3 input (axes
/// as an attribute, opset < 18).
fn middle_axis_length(node: &NodeProto, typed: &TypedModel) -> Option<(usize, bool)> {
    if node.op_type != "ReduceMean" || node.input.len() != 1 || !node.domain.is_empty() {
        return None;
    }
    let attr = |name: &str| node.attribute.iter().find(|a| a.name == name);
    let axes = &attr("axes")?.ints;
    let keep = attr("keepdims").is_none_or(|a| a.i != 0);
    let outlet = typed.find_outlet_label(&node.input[0])?;
    let shape = &typed.outlet_fact(outlet).ok()?.shape;
    if shape.len() != 3 || !matches!(axes.as_slice(), [1] | [-2]) {
        return None;
    }
    let steps = usize::try_from(shape[1].as_i64()?).ok()?;
    (steps > 0).then_some((steps, keep))
}

fn rewrite(graph: &mut GraphProto, node: &NodeProto, ix: usize, steps: usize, keep: bool) {
    let row = format!("mean_row_{ix}");
    graph.initializer.push(TensorProto {
        name: row.clone(),
        dims: vec![1, steps as i64],
        data_type: ONNX_FLOAT,
        float_data: vec![1.0 / steps as f32; steps],
        ..TensorProto::default()
    });
    let product = if keep {
        node.output[0].clone()
    } else {
        format!("mean_product_{ix}")
    };
    graph.node.push(NodeProto {
        name: format!("{}_as_matmul", node.name),
        op_type: "MatMul".into(),
        input: vec![row, node.input[0].clone()],
        output: vec![product.clone()],
        ..NodeProto::default()
    });
    if !keep {
        graph.node.push(NodeProto {
            name: format!("{}_flatten", node.name),
            op_type: "Flatten".into(),
            input: vec![product],
            output: node.output.clone(),
            attribute: vec![AttributeProto {
                name: "axis".into(),
                i: 1,
                r#type: 2, // INT
                ..AttributeProto::default()
            }],
            ..NodeProto::default()
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(model: &str) -> (ModelProto, TypedModel) {
        let path = format!(
            "{}/../../models/{model}/model.onnx",
            env!("CARGO_MANIFEST_DIR")
        );
        let bytes = std::fs::read(&path).expect("shipped model");
        let proto = tract_onnx::onnx()
            .proto_model_for_read(&mut &bytes[..])
            .expect("onnx");
        let typed = tract_onnx::onnx()
            .model_for_proto_model(&proto)
            .and_then(|m| m.into_typed())
            .expect("typed");
        (proto, typed)
    }

    fn ops(proto: &ModelProto) -> Vec<String> {
        proto
            .graph
            .iter()
            .flat_map(|g| g.node.iter().map(|n| n.op_type.clone()))
            .collect()
    }

    #[test]
    fn the_pca_graph_mean_over_steps_becomes_a_matmul_and_flatten() {
        let (proto, typed) = load("pca-t2q");
        let faster = middle_axis_means_as_matmul(&proto, &typed).expect("rewritten");
        let ops = ops(&faster);
        assert!(!ops.contains(&"ReduceMean".to_owned()), "{ops:?}");
        assert_eq!(ops[ops.len() - 2..], ["MatMul", "Flatten"], "{ops:?}");
        let typed = tract_onnx::onnx()
            .model_for_proto_model(&faster)
            .and_then(|m| m.into_typed())
            .expect("the rewritten graph analyses");
        let out = typed.output_fact(0).expect("output");
        assert_eq!(out.shape.len(), 2, "{out:?}");
    }

    #[test]
    fn a_mean_over_the_last_axis_is_left_alone() {
        // The PCA graph with its mean taken over the features instead: tract runs that fast.
        let (mut proto, _) = load("pca-t2q");
        for node in proto.graph.iter_mut().flat_map(|g| g.node.iter_mut()) {
            if node.op_type == "ReduceMean" {
                for a in node.attribute.iter_mut().filter(|a| a.name == "axes") {
                    a.ints = vec![2];
                }
            }
        }
        let typed = tract_onnx::onnx()
            .model_for_proto_model(&proto)
            .and_then(|m| m.into_typed())
            .expect("typed");
        assert!(middle_axis_means_as_matmul(&proto, &typed).is_none());
    }
}
