//! What a device asks the remapping hardware, and what it gets back.

use crate::fault::FaultReason;

bitflags::bitflags! {
    /// The kind of access a request makes.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct Access: u8 {
        /// A read (memory read, or the read half of an atomic).
        const READ = 1 << 0;
        /// A write.
        const WRITE = 1 << 1;
        /// An instruction fetch (execute request, with PASID).
        const EXEC = 1 << 2;
        /// A supervisor-privileged request (with PASID).
        const PRIV = 1 << 3;
    }
}

/// The address type of a PCIe request (the AT field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AddressType {
    /// An ordinary DMA request with a device address.
    #[default]
    Untranslated,
    /// An ATS translation request: asks for the translation without accessing memory.
    TranslationRequest,
    /// A request with an address the device already translated (from its device-TLB).
    Translated,
}

/// One DMA request as it reaches the remapping unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Request {
    /// Requester ID (bus << 8 | devfn), after any bridge aliasing.
    pub source_id: u16,
    /// The PASID prefix, if the request carries one.
    pub pasid: Option<u32>,
    /// The address accessed.
    pub addr: u64,
    /// What the request does.
    pub access: Access,
    /// Address type.
    pub at: AddressType,
    /// The no-snoop attribute of the request.
    pub no_snoop: bool,
}

impl Request {
    /// An untranslated read of `addr` by `source_id`.
    pub fn read(source_id: u16, addr: u64) -> Self {
        Request {
            source_id,
            pasid: None,
            addr,
            access: Access::READ,
            at: AddressType::Untranslated,
            no_snoop: false,
        }
    }

    /// An untranslated write of `addr` by `source_id`.
    pub fn write(source_id: u16, addr: u64) -> Self {
        Request {
            access: Access::WRITE,
            ..Self::read(source_id, addr)
        }
    }

    /// The same request with a PASID.
    pub fn with_pasid(self, pasid: u32) -> Self {
        Request {
            pasid: Some(pasid),
            ..self
        }
    }

    /// Whether the request writes.
    pub fn is_write(&self) -> bool {
        self.access.contains(Access::WRITE)
    }
}

/// The rights a mapping grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Perm {
    /// Reads allowed.
    pub read: bool,
    /// Writes allowed.
    pub write: bool,
    /// Execution allowed.
    pub exec: bool,
}

impl Perm {
    /// Everything.
    pub const ALL: Perm = Perm {
        read: true,
        write: true,
        exec: true,
    };

    /// Both.
    pub fn and(self, o: Perm) -> Perm {
        Perm {
            read: self.read && o.read,
            write: self.write && o.write,
            exec: self.exec && o.exec,
        }
    }
}

/// How a translation was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Via {
    /// Translation is disabled: the address is used as it is.
    Disabled,
    /// Pass-through context or PASID entry.
    PassThrough,
    /// A hit in the IOTLB.
    Iotlb,
    /// A page walk; `reads` paging-entry reads went to memory.
    Walk {
        /// Memory reads of paging entries.
        reads: u32,
    },
}

/// A successful translation of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Translation {
    /// The host physical address for the request's address.
    pub addr: u64,
    /// Size of the page the translation covers.
    pub page_size: u64,
    /// What the mapping allows.
    pub perm: Perm,
    /// Whether the access snoops the processor caches.
    pub snoop: bool,
    /// The domain the device is in (0 when translation is off or passed through
    /// without a domain).
    pub did: u16,
    /// How it was obtained.
    pub via: Via,
}

impl Translation {
    /// The same mapping, ignoring how it was obtained (for comparisons).
    pub fn mapping(&self) -> (u64, u64, Perm, bool) {
        (self.addr, self.page_size, self.perm, self.snoop)
    }
}

/// What became of a fault in the fault-recording registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Recorded {
    /// Written to fault-recording register `index`.
    Logged {
        /// Register index.
        index: usize,
    },
    /// Not recorded: the context or PASID entry has fault processing disabled.
    Suppressed,
    /// Not recorded: the register to use was still full (FSTS.PFO set).
    Overflow,
    /// Not recorded: blocked by a protected memory region, which is not a remapping
    /// fault.
    NotAFault,
}

/// A request the unit blocked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fault {
    /// Why.
    pub reason: FaultReason,
    /// The request.
    pub request: Request,
    /// What happened to the record.
    pub recorded: Recorded,
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let r = &self.request;
        write!(
            f,
            "DMA {} by {:02x}:{:02x}.{} at {:#x}{}: fault {}",
            if r.is_write() { "write" } else { "read" },
            r.source_id >> 8,
            (r.source_id >> 3) & 0x1f,
            r.source_id & 7,
            r.addr,
            r.pasid
                .map(|p| format!(" PASID {p:#x}"))
                .unwrap_or_default(),
            self.reason
        )
    }
}
