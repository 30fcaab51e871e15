import {
  Virtualizer,
  elementScroll,
  observeElementOffset,
  observeElementRect,
} from '@tanstack/virtual-core';
import { useLayoutEffect, useReducer, useRef } from 'preact/hooks';
import type { RefObject } from 'preact';

/** Row height of the virtualised tables, in CSS pixels. */
export const ROW_HEIGHT_PX = 24;

/**
 * A @tanstack/virtual-core virtualizer over `count` fixed-height rows scrolled by `scrollRef`,
 * re-rendering the component when the visible range changes.
 */
export function useVirtualRows(
  count: number,
  scrollRef: RefObject<HTMLDivElement | null>,
): Virtualizer<HTMLDivElement, Element> {
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const options = {
    count,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT_PX,
    overscan: 12,
    scrollToFn: elementScroll,
    observeElementRect,
    observeElementOffset,
    onChange: () => rerender(undefined),
  };
  const virtualizer = useRef<Virtualizer<HTMLDivElement, Element> | undefined>(undefined);
  virtualizer.current ??= new Virtualizer(options);
  virtualizer.current.setOptions(options);
  useLayoutEffect(() => virtualizer.current!._didMount(), []);
  useLayoutEffect(() => {
    virtualizer.current!._willUpdate();
  });
  return virtualizer.current;
}
