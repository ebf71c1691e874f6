#pragma once
/* SPDX-License-Identifier: GPL-2.0-only */
#include "vtdshim.h"
/*
 * I/O APIC windows: the harness has no I/O APIC behind them (a window reads zeros);
 * the IOAPIC RTE paths of intremap.c compile but are not driven.
 */
#define FIX_IO_APIC_BASE_0 0
unsigned long vtdshim_fix_to_virt(unsigned int idx);
#define __fix_to_virt(x) vtdshim_fix_to_virt(x)
