//! Event-stream framing with a size cap checked before any payload is buffered.
//!
//! `aws-smithy-eventstream` does the header and CRC work; it trusts `total_length`, so we read
//! the 12-byte prelude ourselves, reject oversize frames, then hand it the full frame.

use aws_smithy_types::event_stream::Message;
use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt};

/// Default cap on one frame: 16 MiB (the AWS C runtime allows 24 MiB; nucleus lite 10 000 B).
pub const DEFAULT_MAX_FRAME_BYTES: usize = 16 * 1024 * 1024;
/// Length of the prelude: total length, headers length, prelude CRC.
pub const PRELUDE_BYTES: usize = 12;
/// Smallest legal frame: prelude plus message CRC.
pub const MIN_FRAME_BYTES: usize = 16;

/// Why a frame could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The prelude CRC did not match.
    #[error("prelude CRC mismatch: frame says {claimed:#010x}, computed {computed:#010x}")]
    PreludeCrc {
        /// CRC carried in the frame.
        claimed: u32,
        /// CRC computed over the first 8 bytes.
        computed: u32,
    },
    /// `total_length` below 16 or `headers_length` impossible.
    #[error("invalid frame lengths: total {total}, headers {headers}")]
    InvalidLengths {
        /// Claimed total length.
        total: u32,
        /// Claimed header block length.
        headers: u32,
    },
    /// The frame is larger than this endpoint accepts.
    #[error("frame of {total} bytes exceeds the cap of {cap} bytes")]
    TooLarge {
        /// Claimed total length.
        total: usize,
        /// The configured cap.
        cap: usize,
    },
    /// Header or message CRC problems found by the codec.
    #[error("malformed frame: {0}")]
    Malformed(String),
    /// The peer closed the socket inside a frame.
    #[error("connection closed in the middle of a frame")]
    Truncated,
    /// Socket error.
    #[error("socket error: {0}")]
    Io(#[from] std::io::Error),
}

/// Serialises one message into a complete frame.
pub fn encode(message: &Message) -> Result<Bytes, FrameError> {
    let mut out = BytesMut::with_capacity(128 + message.payload().len());
    aws_smithy_eventstream::frame::write_message_to(message, &mut out)
        .map_err(|e| FrameError::Malformed(e.to_string()))?;
    Ok(out.freeze())
}

/// Checks a prelude and returns the frame's total length.
pub fn check_prelude(prelude: &[u8; PRELUDE_BYTES], cap: usize) -> Result<usize, FrameError> {
    let total = u32::from_be_bytes([prelude[0], prelude[1], prelude[2], prelude[3]]);
    let headers = u32::from_be_bytes([prelude[4], prelude[5], prelude[6], prelude[7]]);
    let claimed = u32::from_be_bytes([prelude[8], prelude[9], prelude[10], prelude[11]]);
    let computed = crc32fast::hash(&prelude[..8]);
    if claimed != computed {
        return Err(FrameError::PreludeCrc { claimed, computed });
    }
    let total_usize = total as usize;
    if total_usize < MIN_FRAME_BYTES
        || headers == 1
        || headers as usize > total_usize - MIN_FRAME_BYTES
    {
        return Err(FrameError::InvalidLengths { total, headers });
    }
    if total_usize > cap {
        return Err(FrameError::TooLarge {
            total: total_usize,
            cap,
        });
    }
    Ok(total_usize)
}

/// Decodes one complete frame held in `bytes`.
pub fn decode(bytes: &[u8], cap: usize) -> Result<Message, FrameError> {
    let prelude: &[u8; PRELUDE_BYTES] = bytes
        .get(..PRELUDE_BYTES)
        .and_then(|p| p.try_into().ok())
        .ok_or(FrameError::Truncated)?;
    let total = check_prelude(prelude, cap)?;
    if bytes.len() < total {
        return Err(FrameError::Truncated);
    }
    aws_smithy_eventstream::frame::read_message_from(&bytes[..total])
        .map_err(|e| FrameError::Malformed(e.to_string()))
}

/// Reads the next frame. `Ok(None)` is a clean end of stream between frames.
pub async fn read_frame<R: AsyncRead + Unpin>(
    reader: &mut R,
    cap: usize,
) -> Result<Option<Message>, FrameError> {
    let mut prelude = [0u8; PRELUDE_BYTES];
    let mut filled = 0;
    while filled < PRELUDE_BYTES {
        let n = reader.read(&mut prelude[filled..]).await?;
        if n == 0 {
            return if filled == 0 {
                Ok(None)
            } else {
                Err(FrameError::Truncated)
            };
        }
        filled += n;
    }
    let total = check_prelude(&prelude, cap)?;
    let mut frame = vec![0u8; total];
    frame[..PRELUDE_BYTES].copy_from_slice(&prelude);
    reader
        .read_exact(&mut frame[PRELUDE_BYTES..])
        .await
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => FrameError::Truncated,
            _ => FrameError::Io(e),
        })?;
    decode(&frame, cap).map(Some)
}
