"""Memory zones by physical address, as x86-64 Linux cuts them (arch/x86/mm/init.c: zone_sizes_init)."""

ZONE_NAMES = ("DMA", "DMA32", "Normal")
DMA_LIMIT = 16 << 20  # ZONE_DMA: below 16 MiB (ISA DMA)
DMA32_LIMIT = 4 << 30  # ZONE_DMA32: below 4 GiB (32-bit DMA devices)
