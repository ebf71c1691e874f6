#pragma once
/* SPDX-License-Identifier: GPL-2.0-only */
#include "vtdshim.h"
/* The real one: struct vtd_iommu embeds struct msi_desc, so every file sees one layout. */
#include_next <asm/msi.h>
