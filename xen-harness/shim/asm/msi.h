#pragma once
#include "vtdshim.h"
struct msi_desc { int irq; int remap_index; };
struct msi_msg { u32 address_lo, address_hi, data, dest32; };
