// Photos are resized on the phone before they are stored or sent: a 12 MP
// camera picture is 3–5 MB, its 1600 px JPEG about 300 KB.

import { t } from './i18n.js';

export const MAX_SIDE = 1600;
export const THUMB_SIDE = 320;
const QUALITY = 0.85;
const THUMB_QUALITY = 0.7;

async function decode(file) {
  try {
    return await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch {
    // Some browsers decode more formats through <img> than createImageBitmap.
    const url = URL.createObjectURL(file);
    try {
      const img = new Image();
      img.src = url;
      await img.decode();
      return img;
    } finally {
      URL.revokeObjectURL(url);
    }
  }
}

function encode(source, maxSide, quality) {
  const width = source.naturalWidth || source.width;
  const height = source.naturalHeight || source.height;
  const scale = Math.min(1, maxSide / Math.max(width, height));
  const w = Math.max(1, Math.round(width * scale));
  const h = Math.max(1, Math.round(height * scale));
  if (typeof OffscreenCanvas !== 'undefined') {
    const canvas = new OffscreenCanvas(w, h);
    const ctx = canvas.getContext('2d');
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(source, 0, 0, w, h);
    return canvas.convertToBlob({ type: 'image/jpeg', quality });
  }
  const canvas = document.createElement('canvas');
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d');
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(source, 0, 0, w, h);
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('encode failed'))), 'image/jpeg', quality);
  });
}

/** A picked file → {blob, thumb} JPEGs; throws PhotoReadError when it is not a readable image. */
export async function preparePhoto(file) {
  let source;
  try {
    source = await decode(file);
  } catch (error) {
    throw new PhotoReadError(error);
  }
  try {
    const blob = await encode(source, MAX_SIDE, QUALITY);
    const thumb = await encode(source, THUMB_SIDE, THUMB_QUALITY);
    return { blob, thumb };
  } finally {
    source.close?.();
  }
}

export class PhotoReadError extends Error {
  constructor(cause) {
    super(t('photo.unreadable'));
    this.name = 'PhotoReadError';
    this.cause = cause;
  }
}
