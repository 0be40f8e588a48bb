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
