//! Entry point: the kit does configuration, IPC, state and signals.

fn main() -> std::process::ExitCode {
    stream_uploader::malloc_arenas::use_one_arena();
    component_kit::main(stream_uploader::StreamUploaderComponent)
}
