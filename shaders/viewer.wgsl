// The echo viewer: one frame of the clip with window/level and the label
// overlay applied per pixel, drawn as a quad covering the canvas rectangle.
//
// Frame: Rgba8Unorm, gamma-encoded values as decoded from DICOM.
// Labels: R8Uint class map of the same size, 0 = nothing, k = colours[k].

struct Display {
    // Straight-alpha overlay colours per class; colours[0] is unused.
    colours: array<vec4<f32>, 8>,
    // Canvas corners in image texture coordinates: xy = top-left, zw = bottom-right.
    uv_rect: vec4<f32>,
    // x = window width, y = window centre (both in 0..255 grey levels),
    // z = 1 when the target is an sRGB format (the output must be linear),
    // w = 1 when the label texture holds an overlay.
    params: vec4<f32>,
};

@group(0) @binding(0) var<uniform> display: Display;
@group(0) @binding(1) var frame_texture: texture_2d<f32>;
@group(0) @binding(2) var frame_sampler: sampler;
@group(0) @binding(3) var label_texture: texture_2d<u32>;

struct VertexOutput {
    @builtin(position) position: vec4<f32>,
    @location(0) uv: vec2<f32>,
};

// Two triangles over the viewport, no vertex buffer.
@vertex
fn vs_main(@builtin(vertex_index) index: u32) -> VertexOutput {
    var corners = array<vec2<f32>, 6>(
        vec2<f32>(0.0, 0.0), vec2<f32>(1.0, 0.0), vec2<f32>(0.0, 1.0),
        vec2<f32>(0.0, 1.0), vec2<f32>(1.0, 0.0), vec2<f32>(1.0, 1.0),
    );
    let corner = corners[index];
    var out: VertexOutput;
    out.position = vec4<f32>(corner.x * 2.0 - 1.0, 1.0 - corner.y * 2.0, 0.0, 1.0);
    out.uv = mix(display.uv_rect.xy, display.uv_rect.zw, corner);
    return out;
}

fn linear_from_gamma(gamma: vec3<f32>) -> vec3<f32> {
    let cutoff = gamma < vec3<f32>(0.04045);
    let lower = gamma / vec3<f32>(12.92);
    let higher = pow((gamma + vec3<f32>(0.055)) / vec3<f32>(1.055), vec3<f32>(2.4));
    return select(higher, lower, cutoff);
}

@fragment
fn fs_main(in: VertexOutput) -> @location(0) vec4<f32> {
    if (any(in.uv < vec2<f32>(0.0)) || any(in.uv >= vec2<f32>(1.0))) {
        return vec4<f32>(0.0, 0.0, 0.0, 1.0);
    }
    let grey = textureSampleLevel(frame_texture, frame_sampler, in.uv, 0.0).rgb * 255.0;
    let window = max(display.params.x, 1.0);
    let low = display.params.y - window * 0.5;
    var rgb = clamp((grey - vec3<f32>(low)) / window, vec3<f32>(0.0), vec3<f32>(1.0));

    if (display.params.w > 0.5) {
        let size = vec2<f32>(textureDimensions(label_texture));
        let texel = vec2<i32>(min(floor(in.uv * size), size - vec2<f32>(1.0)));
        let label = min(textureLoad(label_texture, texel, 0).r, 7u);
        if (label > 0u) {
            let colour = display.colours[label];
            rgb = mix(rgb, colour.rgb, colour.a);
        }
    }
    if (display.params.z > 0.5) {
        rgb = linear_from_gamma(rgb);
    }
    return vec4<f32>(rgb, 1.0);
}
