import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { signet } from '../../shared/api.ts';
import { useMe } from '../session.tsx';

/*
 * The organisation's brand in its own workspace: product name, logo and primary colour from the
 * public GET /api/v1/branding/{organizationId} (already resolved: the organisation's name when no
 * product name is set, the default colour when none is chosen). The colour becomes the CSS
 * variable --brand on the document, so every button and focus ring follows it; the settings page
 * calls refresh() after a change so the workspace shows it at once. White text on it is safe:
 * the API refuses a colour with less than 4.5:1 contrast (BRANDING_COLOR_LOW_CONTRAST).
 */

export interface Brand {
  productName: string;
  primaryColor: string | null;
  logoUrl: string | null;
}

interface BrandContext {
  brand: Brand | undefined;
  refresh(): Promise<void>;
}

const Context = createContext<BrandContext>({ brand: undefined, refresh: async () => {} });

export function BrandProvider({ children }: { children: ReactNode }) {
  const me = useMe();
  const organizationId = me.organization?.id ?? me.organizationId;
  const [brand, setBrand] = useState<Brand>();
  const refresh = useCallback(async () => {
    try {
      const answer = await signet().get('/api/v1/branding/{organizationId}', {
        params: { path: { organizationId } },
      });
      setBrand({
        productName: answer.productName,
        primaryColor: answer.primaryColor,
        logoUrl: answer.logoUrl,
      });
    } catch {
      // Without its brand the workspace still works, in the default colours.
    }
  }, [organizationId]);
  useEffect(() => {
    void refresh();
  }, [refresh]);
  useEffect(() => {
    const root = document.documentElement.style;
    if (brand?.primaryColor) root.setProperty('--brand', brand.primaryColor);
    return () => {
      root.removeProperty('--brand');
    };
  }, [brand?.primaryColor]);
  const value = useMemo(() => ({ brand, refresh }), [brand, refresh]);
  return <Context.Provider value={value}>{children}</Context.Provider>;
}

export const useBrand = () => useContext(Context);
