//! Entry point: the kit does configuration, IPC, state and signals.

fn main() -> std::process::ExitCode {
    component_kit::main(stream_uploader::StreamUploaderComponent)
}
