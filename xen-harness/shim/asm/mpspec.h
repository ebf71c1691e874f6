#pragma once
/* SPDX-License-Identifier: GPL-2.0-only */
#include "vtdshim.h"
/* An MP-table I/O APIC entry (MultiProcessor Specification 1.4, table 4-6). */
struct mpc_config_ioapic { unsigned char mpc_type, mpc_apicid, mpc_apicver, mpc_flags; unsigned int mpc_apicaddr; };
