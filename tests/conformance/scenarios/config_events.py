"""SubscribeToConfigurationUpdate: events fire when a new local deployment changes this component's
configuration. Signals `subscribed` so the test knows when to deploy."""

from _scenario import main


def body(sc):
    streams = {"root": [], "threshold": [], "unrelated": []}
    sc.result["events"] = streams
    for name, path in [("root", []), ("threshold", ["threshold"]), ("unrelated", ["unrelated"])]:
        def on_event(e, into=streams[name]):
            ev = e.configuration_update_event
            into.append({"componentName": ev.component_name, "keyPath": ev.key_path})
        sc.call(f"subscribe {name}", sc.ipc.subscribe_to_configuration_update_async(
            key_path=path, on_stream_event=on_event))
    sc.result["before"] = sc.call("get before", sc.ipc.get_configuration_async(
        key_path=["threshold"])).value
    sc.signal("subscribed")
    sc.wait_for("a configuration event", lambda: streams["threshold"], 20)
    sc.wait_for("more events", lambda: False, 0.5)
    sc.result["after"] = sc.call("get after", sc.ipc.get_configuration_async(
        key_path=["threshold"])).value


main(body)
