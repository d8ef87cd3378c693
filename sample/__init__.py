"""The synthetic sample: realistic, deliberately messy record-level data generated for any police force.

Not part of the runtime package: ``pplib`` never imports it, except the ``generate-sample`` command and
``build --all-forces``, which exist to make it.
"""
