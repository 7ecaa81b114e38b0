"""A client of a running framecast service: ``Client(base_url, api_key)``.

Light on purpose (httpx, and framecast's errors; no renderer), so that a Python client
distribution can grow from it::

    with Client("http://127.0.0.1:3000", key) as client:
        image = client.upload_input("photo.png")["input_url"]
        answer = client.submit("/video/img2vid", {"images": [...]}, str(uuid.uuid4()))
        job = client.wait(answer["job_id"], progress=print)
"""

from framecast.client.errors import ApiError, ClientError, ServiceUnreachable
from framecast.client.events import Event
from framecast.client.http import Client

__all__ = ["ApiError", "Client", "ClientError", "Event", "ServiceUnreachable"]
