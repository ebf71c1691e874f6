#pragma once
/* SPDX-License-Identifier: GPL-2.0-only */
#include "vtdshim.h"
struct msi_desc;
struct pirq;
/* What intremap.c's pi_update_irte() reads of an IRQ descriptor. */
typedef struct irq_desc { spinlock_t lock; struct msi_desc *msi_desc; } irq_desc_t;
irq_desc_t *pirq_spin_lock_irq_desc(const struct pirq *pirq, unsigned long *flags);
#define spin_unlock_irq(l) ((void)(l))
