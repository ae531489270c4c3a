"""Node distances as the SLIT and the kernel state them: 10 is local (ACPI 6.6 section 5.2.17: "the distance
from a locality to itself is normalized to 10"); 20 is what Linux uses for every remote node when there is no
usable SLIT (include/linux/topology.h LOCAL_DISTANCE, REMOTE_DISTANCE)."""

LOCAL_DISTANCE = 10
REMOTE_DISTANCE = 20
