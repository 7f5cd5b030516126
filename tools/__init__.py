"""The tools above the library floor: the offline engine, the plan pipeline, the offline policy check
and the ``infra`` command.

``tools`` may import ``infra``, ``components``, ``stacks`` and ``policies``; none of those imports
``tools`` (``tests/test_layers.py`` holds every floor to that).
"""
