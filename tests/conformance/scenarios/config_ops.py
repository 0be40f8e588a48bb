"""GetConfiguration (whole tree, interior node, leaf, missing key) and UpdateConfiguration on the
component's own configuration, as the nucleus answers them."""

import datetime

from _scenario import main


def get(sc, path):
    r = sc.call(f"get {path}", sc.ipc.get_configuration_async(key_path=path))
    return {"componentName": r.component_name, "value": r.value}


def body(sc):
    r = sc.result
    r["whole"] = get(sc, [])
    r["interior"] = get(sc, ["nested"])
    r["leaf"] = get(sc, ["greeting"])
    r["deepLeaf"] = get(sc, ["nested", "level"])
    r["missing"] = sc.outcome("get missing", lambda: sc.ipc.get_configuration_async(
        key_path=["no", "such", "key"]))
    now = datetime.datetime.now(datetime.timezone.utc)
    r["update"] = sc.outcome("update", lambda: sc.ipc.update_configuration_async(
        key_path=["nested"], timestamp=now, value_to_merge={"added": "yes", "level": 7}))
    r["afterUpdate"] = get(sc, ["nested"])
    stale = now - datetime.timedelta(hours=1)
    r["staleUpdate"] = sc.outcome("stale update", lambda: sc.ipc.update_configuration_async(
        key_path=["nested"], timestamp=stale, value_to_merge={"added": "stale"}))
    r["afterStale"] = get(sc, ["nested", "added"])


main(body)
