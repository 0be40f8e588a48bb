"""SubscribeToValidateConfigurationUpdates + SendConfigurationValidityReport: this component
refuses any `threshold` above 10. The test deploys 50 (must fail) then 7 (must apply)."""

import queue

from _scenario import main


def body(sc):
    from awsiot.greengrasscoreipc.model import (ConfigurationValidityReport,
                                               ConfigurationValidityStatus)

    proposals = queue.Queue()
    sc.call("subscribe", sc.ipc.subscribe_to_validate_configuration_updates_async(
        on_stream_event=lambda e: proposals.put(e.validate_configuration_update_event)))
    sc.signal("subscribed")
    seen = []
    sc.result["seen"] = seen
    while len(seen) < 2:
        sc.step = "wait for a proposal"
        event = proposals.get(timeout=20)
        threshold = event.configuration.get("threshold", 0)
        seen.append(threshold)
        ok = threshold <= 10
        report = ConfigurationValidityReport(
            status=ConfigurationValidityStatus.ACCEPTED if ok else ConfigurationValidityStatus.REJECTED,
            deployment_id=event.deployment_id,
            message=None if ok else f"threshold {threshold} is above 10")
        sc.call("report", sc.ipc.send_configuration_validity_report_async(
            configuration_validity_report=report))
    sc.wait_for("the accepted configuration", lambda: sc.call(
        "get", sc.ipc.get_configuration_async(key_path=["threshold"])).value == {"threshold": 7}, 10)
    sc.result["after"] = sc.call("get after", sc.ipc.get_configuration_async(
        key_path=["threshold"])).value


main(body)
