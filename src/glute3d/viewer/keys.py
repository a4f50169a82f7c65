"""The viewer's keys and mouse controls: one table, used by the window, its help overlay and the README.

Examples
--------
>>> KEYS["h"]
'show or hide this help'
>>> help_text().splitlines()[0]
'glute3d viewer - keys'
"""

from __future__ import annotations

__all__ = ["CAMERA_KEYS", "KEYS", "MOUSE", "help_text"]

#: Keys of the camera presets.
CAMERA_KEYS: dict[str, str] = {
    "1": "posterior",
    "2": "lateral",
    "3": "anterior",
    "4": "superior",
    "5": "oblique",
    "6": "posterolateral",
}

#: Every key and what it does (keysyms as VTK names them).
KEYS: dict[str, str] = {
    **{k: f"camera: {v}" for k, v in CAMERA_KEYS.items()},
    "x": "switch side (the pose sliders and the side views)",
    "d": "peel the outermost layer (skin, maximus, medius, minimus)",
    "u": "put the last peeled layer back",
    "l": "the scene's labels on or off",
    "c": "cutting plane on or off (drag it; the arrow points to what is cut away)",
    "z": "quiz mode on or off",
    "0": "neutral pose (both hips)",
    "Escape": "clear the selection",
    "p": "save a screenshot (glute3d-view-N.png)",
    "w": "write the view as a scene file (glute3d-view-N.toml)",
    "h": "show or hide this help",
    "q": "quit",
}

#: The mouse and the widgets.
MOUSE: dict[str, str] = {
    "left drag": "rotate",
    "shift + left drag, or middle drag": "pan",
    "wheel, or right drag": "zoom",
    "left click on a structure": "select it and show its info card (in quiz mode: answer)",
    "check boxes (left)": "show or hide a layer",
    "sliders (left)": "fade a layer",
    "sliders (bottom)": "hip flexion, abduction, rotation of the current side",
}


def help_text() -> str:
    """The help overlay's text."""
    width = max(len(k) for k in KEYS)
    lines = ["glute3d viewer - keys"]
    lines += [f"{k:>{width}}  {v}" for k, v in KEYS.items()]
    lines.append("")
    lines += [f"{k}: {v}" for k, v in MOUSE.items()]
    return "\n".join(lines)
