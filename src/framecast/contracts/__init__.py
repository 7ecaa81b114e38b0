"""The public contracts: request and response models, option vocabularies, the worker job's wire
format and the webhook signature.

Nothing here imports numpy, OpenCV, numba, boto3, PyAV or ffmpeg (``tests/test_contracts_light``
checks it in a fresh interpreter), so a client library and light commands can import it.
"""
