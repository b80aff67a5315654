"""The match cue's threshold, set by each index for itself from its own corpus at build."""

from papersift.index.cue.threshold import DEFAULT_THRESHOLD, CueThreshold

__all__ = ["DEFAULT_THRESHOLD", "CueThreshold"]
