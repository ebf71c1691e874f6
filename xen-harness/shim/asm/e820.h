#pragma once
#include "vtdshim.h"
#define E820_RAM 1
#define E820_RESERVED 2
#define E820_ACPI 3
#define E820_NVS 4
#define E820_UNUSABLE 5
int e820_all_mapped(u64 start, u64 end, unsigned int type);
