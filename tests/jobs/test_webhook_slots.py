"""Which deliveries share a receiver's slots: the scheme, host and port of their URLs."""

from __future__ import annotations

from framecast.jobs.webhook_slots import receiver_of


def test_urls_on_one_host_and_port_are_one_receiver_whatever_their_path() -> None:
    assert {
        receiver_of("https://Hooks.Example.com/a?x=1"),
        receiver_of("https://hooks.example.com:443/b"),
    } == {"https://hooks.example.com:443"}


def test_another_port_or_scheme_is_another_receiver() -> None:
    receivers = {
        receiver_of("http://hooks.example.com/a"),
        receiver_of("http://hooks.example.com:8080/a"),
        receiver_of("https://hooks.example.com/a"),
    }
    assert len(receivers) == 3
